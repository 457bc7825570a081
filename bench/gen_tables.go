package bench

import (
	"math"
	"strconv"
)

// Event types, in the order of tables.eventTypes.
const (
	evPageview = iota
	evSearch
	evAddToCart
	evPurchase
	evCampaignClick
	evSignup
	evLogin
	evGoal
)

// Devices, in the order of tables.devices.
const (
	devDesktop = iota
	devMobile
	devTablet
)

// picker draws an index with fixed relative weights from a uniform 32-bit value.
type picker struct {
	cdf []uint64 // cumulative thresholds in [0, 2^32]; the last is 2^32
}

func newPicker(weights []float64) picker {
	var total float64
	for _, w := range weights {
		total += w
	}
	cdf := make([]uint64, len(weights))
	var cum float64
	for i, w := range weights {
		cum += w
		cdf[i] = uint64(cum / total * (1 << 32))
	}
	cdf[len(cdf)-1] = 1 << 32
	return picker{cdf: cdf}
}

// pick returns the first index whose threshold is above x (binary search).
func (p picker) pick(x uint32) int {
	lo, hi := 0, len(p.cdf)-1
	v := uint64(x)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if v < p.cdf[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// zipfWeights returns n weights 1/(i+1)^s.
func zipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}

const (
	numProducts   = 2000
	numCampaigns  = 150
	firstCampaign = 1001
)

// Fixed URL indexes; variable ranges follow them (see tables.url*).
const (
	urlHome = iota
	urlCart
	urlCheckout
	urlSignup
	urlLogin
	urlGoalFirst
)

// tables holds every string and distribution the generator draws from. It is
// built once per Generate call and only read afterwards.
type tables struct {
	eventTypes []string // indexed by ev*
	countries  []string
	devices    []string // indexed by dev*
	browsers   []string

	urls                                                          []string // see url* indexes and the first-of ranges below
	urlCatFirst, urlProductFirst, urlSearchFirst, urlLandingFirst int
	numGoals, numSearches                                         int

	skus     []string  // index i is product i
	prices   []float64 // per product
	product  picker    // product popularity
	campaign picker    // campaign popularity
	country  picker
	device   picker
	browser  [3]picker // per device
	quantity picker    // quantity-1

	quantities  []int64 // quantities[q] == q, for pointers to row values
	campaignIDs []int64 // campaign number i has id campaignIDs[i]
}

func newTables(seed int64) *tables {
	goalNames := []string{"newsletter", "wishlist", "review", "share"}
	categoryNames := []string{
		"shoes", "shirts", "pants", "dresses", "jackets", "bags", "watches", "jewelry", "sunglasses", "hats",
		"phones", "laptops", "tablets", "headphones", "cameras", "books", "toys", "kitchen", "garden", "sports",
	}
	searchWords := []string{
		"red", "black", "cheap", "leather", "wireless", "kids", "summer", "winter", "running", "vintage",
	}
	// Skewed shares (per mille) of users per country.
	countryWeights := []float64{
		280, 80, 70, 60, 60, 50, 40, 40, 30, 30, 30, 25, 25, 20, 15,
		15, 15, 15, 10, 10, 10, 8, 8, 7, 7, 6, 6, 5, 5, 5,
	}
	// Browser shares per device, indexed like t.browsers.
	browserWeights := [3][]float64{
		devDesktop: {65, 9, 12, 12, 0, 2},
		devMobile:  {55, 35, 2, 0, 8, 0},
		devTablet:  {35, 60, 0, 0, 5, 0},
	}

	t := &tables{
		eventTypes: []string{"pageview", "search", "addToCart", "purchase", "campaignClick", "signup", "login", "goal"},
		countries: []string{
			"US", "GB", "DE", "FR", "IN", "BR", "CA", "JP", "ES", "IT", "AU", "NL", "MX", "PL", "SE",
			"TR", "KR", "ID", "AR", "BE", "CH", "AT", "IL", "IE", "PT", "NO", "DK", "FI", "NZ", "ZA",
		},
		devices:  []string{"desktop", "mobile", "tablet"},
		browsers: []string{"Chrome", "Safari", "Firefox", "Edge", "Samsung Internet", "Opera"},
	}
	t.urls = append(t.urls, "/", "/cart", "/checkout/complete", "/signup", "/login")
	for _, g := range goalNames {
		t.urls = append(t.urls, "/goal/"+g)
	}
	t.numGoals = len(goalNames)
	t.urlCatFirst = len(t.urls)
	for _, c := range categoryNames {
		t.urls = append(t.urls, "/c/"+c)
	}
	t.skus = make([]string, numProducts)
	t.prices = make([]float64, numProducts)
	r := newRNG(seed, 0, streamTables)
	t.urlProductFirst = len(t.urls)
	for i := range numProducts {
		sku := "SKU-" + pad5(i+1)
		t.skus[i] = sku
		t.urls = append(t.urls, "/p/"+sku)
		// Log-uniform between 2 and 900, in cents.
		price := math.Exp(math.Log(2) + r.float()*(math.Log(900)-math.Log(2)))
		t.prices[i] = math.Round(price*100) / 100
	}
	t.urlSearchFirst = len(t.urls)
	for _, w := range searchWords {
		for _, c := range categoryNames {
			t.urls = append(t.urls, "/search?q="+w+"+"+c)
		}
	}
	t.numSearches = len(t.urls) - t.urlSearchFirst
	t.urlLandingFirst = len(t.urls)
	for i := range numCampaigns {
		t.urls = append(t.urls, "/lp/"+strconv.Itoa(firstCampaign+i))
	}

	t.product = newPicker(zipfWeights(numProducts, 0.9))
	t.campaign = newPicker(zipfWeights(numCampaigns, 1.1))
	t.country = newPicker(countryWeights)
	t.device = newPicker([]float64{52, 40, 8})
	for d := range t.browser {
		t.browser[d] = newPicker(browserWeights[d])
	}
	t.quantity = newPicker([]float64{75, 17, 5, 1.5, 1, 0.5})
	t.quantities = make([]int64, len(t.quantity.cdf)+1)
	for q := range t.quantities {
		t.quantities[q] = int64(q)
	}
	t.campaignIDs = make([]int64, numCampaigns)
	for i := range t.campaignIDs {
		t.campaignIDs[i] = int64(firstCampaign + i)
	}
	return t
}

func pad5(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 5 {
		s = "0" + s
	}
	return s
}
