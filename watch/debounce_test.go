package watch

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// step is one move of a debounce scenario: wait, then send the events
// (none: only wait).
type step struct {
	after  time.Duration
	events []event
}

// emitted is a batch with the time it left the debouncer, counted from the
// scenario's start.
type emitted struct {
	at    time.Duration
	paths []string
	full  bool
}

func paths(ps ...string) []event {
	var out []event
	for _, p := range ps {
		out = append(out, event{path: p})
	}
	return out
}

func many(n int) []event {
	var out []event
	for i := range n {
		out = append(out, event{path: fmt.Sprintf("/f%04d.html", i)})
	}
	return out
}

var testRule = Rule{Quiet: 100 * time.Millisecond, MaxDelay: time.Second, Burst: 10, BurstMaxDelay: 5 * time.Second}

func TestDebounce(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		steps []step
		want  []emitted
	}{
		{"one save is applied after the quiet period",
			[]step{{0, paths("/a.html")}},
			[]emitted{{100 * ms, []string{"/a.html"}, false}}},
		{"repeated events for a path are merged, paths sorted",
			[]step{{0, paths("/b.css", "/a.html")}, {10 * ms, paths("/b.css", "/a.html", "/b.css")}},
			[]emitted{{110 * ms, []string{"/a.html", "/b.css"}, false}}},
		{"each event restarts the quiet period",
			[]step{{0, paths("/a")}, {90 * ms, paths("/b")}, {90 * ms, paths("/c")}},
			[]emitted{{280 * ms, []string{"/a", "/b", "/c"}, false}}},
		{"events apart by more than the quiet period make two batches",
			[]step{{0, paths("/a")}, {150 * ms, paths("/b")}},
			[]emitted{{100 * ms, []string{"/a"}, false}, {250 * ms, []string{"/b"}, false}}},
		{"a file written without pause waits no longer than MaxDelay",
			func() []step {
				var s []step
				for range 40 {
					s = append(s, step{30 * ms, paths("/log.txt")})
				}
				return s
			}(),
			// events every 30ms from 30ms to 1200ms: the first batch is sealed
			// at 1030ms; the events from 1050ms form the next one, applied
			// 100ms after the last. (No event falls on a deadline: ties
			// between a timer and a sleeper have no defined order.)
			[]emitted{{1030 * ms, []string{"/log.txt"}, false}, {1300 * ms, []string{"/log.txt"}, false}}},
		{"a burst becomes one full rebuild",
			[]step{{0, many(10)}},
			[]emitted{{100 * ms, nil, true}}},
		{"a burst waits for quiet past MaxDelay",
			func() []step {
				var s []step
				for i := range 30 {
					s = append(s, step{50 * ms, many(i + 1)})
				}
				return s
			}(),
			[]emitted{{1600 * ms, nil, true}}},
		{"a burst that never quiets is bounded by BurstMaxDelay",
			func() []step {
				var s []step
				for range 200 {
					s = append(s, step{30 * ms, many(10)})
				}
				return s
			}(),
			// every 30ms from 30ms to 6000ms: applied at 5030ms; the rest
			// (5040..6000) is another burst, applied 100ms after its last event.
			[]emitted{{5030 * ms, nil, true}, {6100 * ms, nil, true}}},
		{"a lost-events sign forces a full rebuild",
			[]step{{0, paths("/a")}, {10 * ms, []event{{full: true}}}},
			[]emitted{{110 * ms, nil, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				got := runScenario(tt.steps, func(batch) {})
				if !equalEmitted(got, tt.want) {
					t.Errorf("got  %v\nwant %v", got, tt.want)
				}
			})
		})
	}
}

// TestDebounceBusyConsumer: while a batch is being applied, new events wait
// and are merged into one batch handed over as soon as the consumer is free.
func TestDebounceBusyConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		steps := []step{{0, paths("/a")}, {150 * ms, paths("/b")}, {150 * ms, paths("/c")}, {10 * ms, paths("/b")}}
		// The first batch (at 100ms) takes 500ms to apply: /b (sealed at 250ms)
		// then /c join it, and it is handed over at 600ms.
		got := runScenario(steps, func(b batch) {
			if slices.Equal(b.paths, []string{"/a"}) {
				time.Sleep(500 * ms)
			}
		})
		want := []emitted{{100 * ms, []string{"/a"}, false}, {600 * ms, []string{"/b", "/c"}, false}}
		if !equalEmitted(got, want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
	})
}

// runScenario feeds steps to a debouncer with testRule and returns what it
// emitted; apply runs for each batch, as the apply loop would.
func runScenario(steps []step, apply func(batch)) []emitted {
	in := make(chan event)
	out := make(chan batch)
	go debounce(in, out, nil, testRule, nil)
	start := time.Now()
	var got []emitted
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range out {
			got = append(got, emitted{time.Since(start), b.paths, b.full})
			apply(b)
		}
	}()
	for _, s := range steps {
		time.Sleep(s.after)
		for _, e := range s.events {
			in <- e
		}
	}
	time.Sleep(20 * time.Second) // long past every deadline
	close(in)
	<-done
	return got
}

func equalEmitted(a, b []emitted) bool {
	return slices.EqualFunc(a, b, func(x, y emitted) bool {
		return x.at == y.at && x.full == y.full && slices.Equal(x.paths, y.paths)
	})
}

// TestDebounceFirst: a batch carries when its first event came, also when
// events join it after it was sealed.
func TestDebounceFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in, out := make(chan event), make(chan batch)
		go debounce(in, out, nil, testRule, nil)
		start := time.Now()
		for _, e := range paths("/a", "/b") {
			in <- e
			time.Sleep(30 * time.Millisecond)
		}
		b := <-out
		if got := b.first.Sub(start); got != 0 {
			t.Errorf("first event at +%v, want +0s", got)
		}
		time.Sleep(time.Second)
		second := time.Now()
		in <- paths("/c")[0]
		if b = <-out; !b.first.Equal(second) {
			t.Errorf("second batch: first event at %v, want %v", b.first, second)
		}
		close(in)
	})
}

// TestDebounceOffersPaths: while a batch waits for quiet, each path new to
// it is offered once for preparing, in the order first seen and a few at a
// time; none is offered once the batch is sealed.
func TestDebounceOffersPaths(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in, out, prep := make(chan event), make(chan batch), make(chan []string)
		go debounce(in, out, prep, testRule, nil)
		var offered [][]string
		var batches []batch
		done := make(chan struct{})
		go func() {
			defer close(done)
			for out != nil || prep != nil { // as the apply loop does
				select {
				case b, ok := <-out:
					if !ok {
						out = nil
						continue
					}
					batches = append(batches, b)
					time.Sleep(300 * time.Millisecond) // applying, while /late's batch is sealed
				case p, ok := <-prep:
					if !ok {
						prep = nil
						continue
					}
					offered = append(offered, p)
				}
			}
		}()
		send := func(ps ...string) {
			for _, e := range paths(ps...) {
				in <- e
			}
		}
		send("/a", "/b", "/a")
		time.Sleep(50 * time.Millisecond)
		send("/c", "/b")
		time.Sleep(200 * time.Millisecond) // sealed and sent at 150ms
		send("/late")                      // sealed at 350ms, while the first batch is applied: not offered
		time.Sleep(time.Second)
		burst := many(3 * prepChunk)
		for _, e := range burst {
			in <- e
		}
		time.Sleep(time.Second)
		close(in)
		<-done

		var flat []string
		for _, chunk := range offered {
			if len(chunk) > prepChunk {
				t.Errorf("a chunk of %d paths, more than %d", len(chunk), prepChunk)
			}
			flat = append(flat, chunk...)
		}
		want := []string{"/a", "/b", "/c"}
		for _, e := range burst {
			want = append(want, e.path)
		}
		if !slices.Equal(flat, want) {
			t.Errorf("offered %v\nwant    %v", flat, want)
		}
		if len(batches) != 3 || !slices.Equal(batches[1].paths, []string{"/late"}) || !batches[2].full {
			t.Errorf("batches %v, want two updates then a full rebuild", batches)
		}
	})
}
