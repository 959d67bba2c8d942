package serve

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func keysOf(n int, prefix string) []uint16 {
	keys := make([]uint16, n)
	for i := range keys {
		keys[i] = digestKey(fmt.Sprintf("/%s/%d.css", prefix, i), fmt.Sprintf("%064x", i))
	}
	return keys
}

func TestDigestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2, 14, 100, digestMaxEntries} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d, _ := digest(nil).withKeys(keysOf(n, "rt"))
			enc := encodeDigest(d)
			got, ok := parseDigest(enc, nil)
			if !ok {
				t.Fatalf("cannot parse its own encoding %q", enc)
			}
			if !slices.Equal(got, d) {
				t.Fatalf("round trip: got %v, want %v", got, d)
			}
			// The size bound the cookie promises.
			if len(enc) > 450 {
				t.Errorf("%d entries take %d characters", n, len(enc))
			}
		})
	}
}

// TestDigestFalsePositives checks the false positive rate the README
// states: a pair never sent is taken for a sent one with probability
// n/65536 for a set of n entries, at most 256/65536 = 1/256 when full.
// Membership is exact over 16-bit numbers, so the rate over uniform numbers
// is exactly n/65536 (checked on every number); digestKey must then make the
// numbers of pairs uniform, checked on 2^19 pairs never sent: their hits are
// Binomial(2^19, n/65536) if it does, mean 2048 and standard deviation 45
// when full. The test allows the mean plus 5 deviations: a uniform hash
// exceeds that with probability 3e-7 (the pairs are fixed, so the count is
// too), and one that favoured the set's numbers by a fifth would exceed it
// by 4 deviations.
func TestDigestFalsePositives(t *testing.T) {
	if digestMaxEntries*256 > digestUniverse {
		t.Fatalf("%d entries in a universe of %d: above 1/256 when full", digestMaxEntries, digestUniverse)
	}
	d, _ := digest(nil).withKeys(keysOf(digestMaxEntries, "in"))
	if len(d) < digestMaxEntries-2 {
		t.Fatalf("only %d distinct keys of %d", len(d), digestMaxEntries)
	}
	members := 0
	for v := range digestUniverse {
		if d.has(uint16(v)) {
			members++
		}
	}
	if members != len(d) {
		t.Fatalf("%d of the %d numbers are taken for members of a set of %d", members, digestUniverse, len(d))
	}
	const trials = 1 << 19
	p := float64(len(d)) / digestUniverse
	mean, sd := trials*p, math.Sqrt(trials*p*(1-p))
	hits := 0
	hash := strings.Repeat("0", 64)
	for i := range trials {
		if d.has(digestKey("/out/"+strconv.Itoa(i)+".css", hash[:64-len(strconv.Itoa(i))]+strconv.Itoa(i))) {
			hits++
		}
	}
	if limit := mean + 5*sd; float64(hits) > limit {
		t.Errorf("%d false positives in %d pairs never sent (rate %.5f), above %.0f: the mean %.0f of a rate of %d/65536 plus 5 deviations",
			hits, trials, float64(hits)/trials, limit, mean, len(d))
	}
	t.Logf("false positives at %d entries: %d in %d (%.5f; expected %.5f ± %.5f)", len(d), hits, trials, float64(hits)/trials, p, sd/trials)
}

func TestDigestWithKeys(t *testing.T) {
	d, changed := digest(nil).withKeys([]uint16{5, 3, 5})
	if !changed || !slices.Equal(d, digest{3, 5}) {
		t.Fatalf("got %v %v", d, changed)
	}
	if _, changed := d.withKeys([]uint16{3}); changed {
		t.Error("adding a key it has changed the set")
	}
	full, _ := digest(nil).withKeys(keysOf(digestMaxEntries+50, "full"))
	if len(full) > digestMaxEntries {
		t.Fatalf("%d entries, bound is %d", len(full), digestMaxEntries)
	}
	// A full set starts over with the new page's keys.
	fresh := keysOf(3, "fresh")
	again, changed := full.withKeys(fresh)
	if !changed || len(again) != 3 {
		t.Fatalf("full set plus 3 new keys: %d entries, want 3", len(again))
	}
	for _, k := range fresh {
		if !again.has(k) {
			t.Errorf("key %d lost", k)
		}
	}
}

func TestReadDigest(t *testing.T) {
	d, _ := digest(nil).withKeys([]uint16{1, 700, 65535})
	enc := encodeDigest(d)
	tests := []struct {
		name   string
		cookie []string
		want   digest
	}{
		{"alone", []string{digestCookie + "=" + enc}, d},
		{"among others", []string{"a=1; " + digestCookie + "=" + enc + "; z=2"}, d},
		{"second header", []string{"a=1", digestCookie + "=" + enc}, d},
		{"longer name", []string{"x" + digestCookie + "=" + enc}, nil},
		{"longer name then the real one", []string{"x" + digestCookie + "=AAAA; " + digestCookie + "=" + enc}, d},
		{"damaged", []string{digestCookie + "=" + enc[:len(enc)-2] + "!!"}, nil},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{Header: http.Header{"Cookie": tt.cookie}}
			if got := readDigest(r, nil); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzDigest feeds any cookie value to the parser: it never panics, what it
// accepts is a valid set within bounds, and encoding that set gives a value
// that parses to the same set.
func FuzzDigest(f *testing.F) {
	for _, n := range []int{0, 1, 14, digestMaxEntries} {
		d, _ := digest(nil).withKeys(keysOf(n, "seed"))
		f.Add(encodeDigest(d))
	}
	f.Add("")
	f.Add("AQ")
	f.Add("AQgA")
	f.Add("AQ0F19HGJktYKFv7IA")
	f.Fuzz(func(t *testing.T, value string) {
		d, ok := parseDigest(value, nil)
		if !ok {
			if len(d) != 0 {
				t.Fatalf("rejected value gave %d entries", len(d))
			}
			return
		}
		if len(d) > digestMaxEntries {
			t.Fatalf("%d entries", len(d))
		}
		for i := 1; i < len(d); i++ {
			if d[i] <= d[i-1] {
				t.Fatalf("not strictly increasing: %v", d)
			}
		}
		again, ok := parseDigest(encodeDigest(d), nil)
		if !ok || !slices.Equal(again, d) {
			t.Fatalf("re-encoding changed the set: %v -> %v", d, again)
		}
	})
}
