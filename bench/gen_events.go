package bench

import (
	"math"
	"slices"
)

// spanMillis is the time range every dataset covers: 30 days from StartMillis.
const spanMillis = 30 * 24 * 3600 * 1000

// event is one generated row in compact form; strings and prices are looked
// up in tables when the row is written.
type event struct {
	ts       int64
	user     uint32 // index into the part's user list
	url      uint16 // index into tables.urls
	product  uint16 // 1 + index into tables.skus; 0 when the row has no product
	campaign uint16 // 1 + campaign number; 0 when the row has no campaign
	kind     uint8
	country  uint8
	device   uint8
	browser  uint8
	quantity uint8
	loggedIn bool
}

// Journey probabilities. The per-user ones shape the funnel: about 28% of
// users with two rows or more add to cart, about a third of those (with three
// rows or more) purchase after the cart.
const (
	pCartUser        = 0.28
	pBuyGivenCart    = 0.34
	pRegistered      = 0.35
	pWillSignUp      = 0.25
	pSameMilli       = 0.03 // next event in the same millisecond as the previous
	pSessionCampaign = 0.2
	pSessionLogin    = 0.5
	pAutoLogin       = 0.7
	pSignupPerEvent  = 0.08
	pExtraCart       = 0.05
	pExtraPurchase   = 0.02
	pGoal            = 0.03
	pSearch          = 0.22
	maxGapMillis     = 45_000 // mean gap between events of a session, less for very busy users
	eventsPerSession = 12
	maxSessions      = 400
)

// userGen holds the scratch space of one worker.
type userGen struct {
	t          *tables
	seed       int64
	startMilli int64
	sessions   []int64
}

// appendUser appends the n rows of user number u, whose index in the part's
// user list is local, to dst in non-decreasing timestamp order.
func (g *userGen) appendUser(dst []event, u uint64, local uint32, n int) []event {
	t := g.t
	r := newRNG(g.seed, u, streamEvents)
	country := uint8(t.country.pick(r.u32()))
	device := t.device.pick(r.u32())
	browser := uint8(t.browser[device].pick(r.u32()))
	registered := r.float() < pRegistered
	willSignUp := !registered && r.float() < pWillSignUp
	carter := n >= 2 && r.float() < pCartUser
	buyer := carter && n >= 3 && r.float() < pBuyGivenCart
	cartAt, buyAt := -1, -1
	switch {
	case buyer:
		cartAt = 1 + r.intn(n-2)
		buyAt = cartAt + 1 + r.intn(n-1-cartAt)
	case carter:
		cartAt = 1 + r.intn(n-1)
	}

	// Sessions: k start times spread over the user's active window; the
	// events are split evenly between them.
	k := min(1+n/eventsPerSession, maxSessions)
	end := g.startMilli + spanMillis
	arrival := g.startMilli + int64(r.float()*spanMillis*0.9/(1+float64(k)/4))
	starts := g.sessions[:0]
	for range k {
		starts = append(starts, arrival+r.int63n(end-arrival))
	}
	slices.Sort(starts)
	starts[0] = arrival
	g.sessions = starts
	meanGap := float64(min(maxGapMillis, (end-arrival)/int64(2*n)+1))

	ts := arrival
	session := 0
	loggedIn := false
	cartSeen := false
	var viewed, carted uint16 // 1 + product index
	var cartQty uint8
	for i := range n {
		newSession := i == 0
		if s := i * k / n; s != session {
			session = s
			newSession = true
			ts = max(ts+1, starts[s])
		} else if i > 0 && r.float() >= pSameMilli {
			ts += 1 + int64(-math.Log(1-r.float())*meanGap)
		}
		ts = min(ts, end-1)
		if newSession {
			loggedIn = registered && r.float() < pAutoLogin
		}

		kind := evPageview
		switch x := r.float(); {
		case i == cartAt:
			kind = evAddToCart
		case i == buyAt:
			kind = evPurchase
		case i == 0:
			switch {
			case carter || x < 0.80:
			case x < 0.90:
				kind = evCampaignClick
			case x < 0.94:
				kind = evSearch
			case registered:
				kind = evLogin
				loggedIn = true
			case x < 0.97:
				kind = evSignup
			default:
				kind = evGoal
			}
		case newSession && x < pSessionCampaign:
			kind = evCampaignClick
		case newSession && registered && !loggedIn && x < pSessionCampaign+pSessionLogin:
			kind = evLogin
		case willSignUp && !registered && x < pSignupPerEvent:
			kind = evSignup
		default:
			// A fresh draw: the ones above were conditional.
			switch y := r.float(); {
			case y < pExtraCart:
				if carter {
					kind = evAddToCart
				}
			case y < pExtraCart+pExtraPurchase:
				if buyer && cartSeen {
					kind = evPurchase
				}
			case y < pExtraCart+pExtraPurchase+pGoal:
				kind = evGoal
			case y < pExtraCart+pExtraPurchase+pGoal+pSearch:
				kind = evSearch
			}
		}

		e := event{
			ts:      ts,
			user:    local,
			kind:    uint8(kind),
			country: country,
			device:  uint8(device),
			browser: browser,
		}
		switch kind {
		case evPageview:
			switch y := r.float(); {
			case y < 0.3:
				e.url = urlHome
			case y < 0.55:
				e.url = uint16(t.urlCatFirst + r.intn(t.urlProductFirst-t.urlCatFirst))
			default:
				p := t.product.pick(r.u32())
				viewed = uint16(p + 1)
				e.url = uint16(t.urlProductFirst + p)
			}
		case evSearch:
			e.url = uint16(t.urlSearchFirst + r.intn(t.numSearches))
		case evAddToCart:
			p := viewed
			if p == 0 || r.float() < 0.3 {
				p = uint16(t.product.pick(r.u32()) + 1)
			}
			carted, cartQty, cartSeen = p, uint8(1+t.quantity.pick(r.u32())), true
			e.url, e.product, e.quantity = urlCart, p, cartQty
		case evPurchase:
			if carted == 0 { // a purchase is always preceded by a cart; keep rows valid regardless
				carted, cartQty = uint16(t.product.pick(r.u32())+1), 1
			}
			e.url, e.product, e.quantity = urlCheckout, carted, cartQty
		case evCampaignClick:
			c := t.campaign.pick(r.u32())
			e.url, e.campaign = uint16(t.urlLandingFirst+c), uint16(c+1)
		case evSignup:
			e.url = urlSignup
			registered, loggedIn = true, true
		case evLogin:
			e.url = urlLogin
			loggedIn = true
		case evGoal:
			e.url = uint16(urlGoalFirst + r.intn(t.numGoals))
		}
		e.loggedIn = loggedIn
		dst = append(dst, e)
	}
	return dst
}
