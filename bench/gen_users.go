package bench

import (
	"fmt"
	"math"
	"math/bits"
)

// rng is a small wyrand generator: one multiply per draw, good enough
// statistical quality for synthetic data, and cheap to seed per user so that
// every user's rows depend only on (seed, user) and never on scheduling.
type rng struct{ s uint64 }

// Streams separate the independent random sequences drawn for one key.
const (
	streamWeight  = 0x9e3779b97f4a7c15
	streamEvents  = 0xd1b54a32d192ed03
	streamShuffle = 0x8cb92ba72f3d8dd7
	streamTables  = 0xbf58476d1ce4e5b9
)

func newRNG(seed int64, key uint64, stream uint64) rng {
	return rng{s: mix64(uint64(seed)^stream) ^ mix64(key+stream)}
}

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// u32 returns a uniform 32-bit value.
func (r *rng) u32() uint32 { return uint32(r.next() >> 32) }

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * (1.0 / (1 << 53)) }

// intn returns a uniform value in [0, n); n must be > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// int63n returns a uniform value in [0, n); n must be > 0.
func (r *rng) int63n(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// mix64 is the splitmix64 finalizer: a fixed bijective 64-bit hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// PartOfInt64UserID returns the part (file index) that holds an int64 user id
// in a dataset of files parts: the splitmix64 finalizer of the id's two's
// complement bits, modulo files. files must be > 0.
func PartOfInt64UserID(id int64, files int) int {
	return int(mix64(uint64(id)) % uint64(files))
}

// PartOfStringUserID returns the part (file index) that holds a string user
// id in a dataset of files parts: 64-bit FNV-1a of the id's bytes, modulo
// files. files must be > 0.
func PartOfStringUserID(id string, files int) int {
	return int(fnv1a(id) % uint64(files))
}

func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// userIDWidth is the number of digits in a string user id: "u" followed by
// the zero-padded user number, so that string order equals numeric order.
const userIDWidth = 10

// StringUserID returns the string form of user number n used when
// GenConfig.StringUserIDs is set: "u" and n zero-padded to 10 digits.
// n must be in [0, 9999999999].
func StringUserID(n int64) string {
	var b [1 + userIDWidth]byte
	return string(appendStringUserID(b[:0], n))
}

func appendStringUserID(dst []byte, n int64) []byte {
	dst = append(dst, 'u')
	var d [userIDWidth]byte
	for i := userIDWidth - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, d[:]...)
}

// User classes decide the shape of a user's activity.
const (
	classRegular = iota
	classSingle  // exactly one row
	classWhale   // thousands of rows at the default density
)

// weightScale turns fractional activity weights into integers so that the
// proportional split of rows is exact and order independent.
const weightScale = 1 << 10

// userWeight returns the class and integer activity weight of user u. The
// first user is always a whale and the second always a single-row user, so
// that even small datasets contain both hard cases.
func userWeight(seed int64, u uint64, users int64) (class int, weight uint64) {
	r := newRNG(seed, u, streamWeight)
	x := r.float()
	switch {
	case u == 0:
		return classWhale, 1500 * weightScale
	case u == 1 && users > 2:
		return classSingle, 0
	case x < 0.05:
		return classSingle, 0
	case x < 0.0515:
		return classWhale, uint64((400 + 800*r.float()) * weightScale)
	}
	// Pareto(alpha=1.3) activity, capped: most users a handful of rows, a long tail.
	y := 1 - r.float() // (0, 1]
	w := math.Pow(y, -1/1.3)
	if w > 200 {
		w = 200
	}
	return classRegular, uint64(w * weightScale)
}

// userPlan says how many rows each user gets and which part holds each user.
type userPlan struct {
	counts    []uint32 // rows per user number
	byPart    []uint32 // user numbers grouped by part, ascending within a part
	partStart []int    // users of part p are byPart[partStart[p]:partStart[p+1]]
	partRows  []int64  // rows per part
}

// planUsers splits rows among users: single-row users get one row, every
// other user a base of two (one when rows are too few), and the remaining
// rows are split in proportion to the users' weights with a telescoping
// floor so that the total is exactly rows.
func planUsers(seed int64, rows, users int64, files int, stringIDs bool) (*userPlan, error) {
	var sumWeight uint64
	var multi int64
	for u := range uint64(users) {
		class, w := userWeight(seed, u, users)
		sumWeight += w
		if class != classSingle {
			multi++
		}
	}
	base := int64(2)
	extra := rows - users - multi
	if extra < 0 {
		base = 1
		extra = rows - users
	}

	p := &userPlan{
		counts:    make([]uint32, users),
		partStart: make([]int, files+1),
		partRows:  make([]int64, files),
	}
	parts := make([]uint32, users)
	var cum uint64
	var prev int64
	var idBuf [1 + userIDWidth]byte
	for u := range uint64(users) {
		class, w := userWeight(seed, u, users)
		cum += w
		var cur int64
		if sumWeight > 0 {
			hi, lo := bits.Mul64(cum, uint64(extra))
			q, _ := bits.Div64(hi, lo, sumWeight) // hi < sumWeight since cum <= sumWeight
			cur = int64(q)
		}
		n := cur - prev
		prev = cur
		if class == classSingle {
			n = 1
		} else {
			n += base
		}
		if n > math.MaxUint32 {
			return nil, fmt.Errorf("user %d would get %d rows: raise the number of users", u, n)
		}
		p.counts[u] = uint32(n)
		var part int
		if stringIDs {
			part = int(fnv1aBytes(appendStringUserID(idBuf[:0], int64(u))) % uint64(files))
		} else {
			part = PartOfInt64UserID(int64(u), files)
		}
		parts[u] = uint32(part)
		p.partStart[part+1]++
		p.partRows[part] += n
	}
	for i := 1; i <= files; i++ {
		p.partStart[i] += p.partStart[i-1]
	}
	p.byPart = make([]uint32, users)
	next := append([]int(nil), p.partStart[:files]...)
	for u, part := range parts {
		p.byPart[next[part]] = uint32(u)
		next[part]++
	}
	return p, nil
}

func fnv1aBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
