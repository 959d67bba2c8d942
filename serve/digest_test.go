package serve

import (
	"fmt"
	"net/http"
	"slices"
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

// TestDigestFalsePositives measures the false positive rate at capacity:
// at most n/digestUniverse = 1/256 of the pairs never sent look sent.
func TestDigestFalsePositives(t *testing.T) {
	d, _ := digest(nil).withKeys(keysOf(digestMaxEntries, "in"))
	if len(d) < digestMaxEntries-2 {
		t.Fatalf("only %d distinct keys of %d", len(d), digestMaxEntries)
	}
	const trials = 200000
	hits := 0
	for _, k := range keysOf(trials, "out") {
		if d.has(k) {
			hits++
		}
	}
	rate := float64(hits) / trials
	if limit := 1.2 * float64(len(d)) / digestUniverse; rate > limit {
		t.Errorf("false positive rate %.5f, above %.5f", rate, limit)
	}
	if rate == 0 {
		t.Errorf("no false positive in %d trials: the test measures nothing", trials)
	}
	t.Logf("false positive rate at %d entries: %.5f", len(d), rate)
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
