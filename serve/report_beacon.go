package serve

import (
	"bytes"
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// A page served with the report on sends, after it has loaded, what the
// browser did: its Resource Timing entries and the files the document uses
// (report_script.go). That is outside input, from any page open on the
// server: a beacon is at most beaconMaxBytes, parsed strictly (known
// fields only, every string and number bounded), accepted only for a page
// the manifest knows, and the store keeps the last beaconsPerPage beacons
// of at most reportMaxPages pages, the least recently reported out first:
// at most 128 beacons of 64 KiB.
const (
	beaconMaxBytes     = 64 << 10
	beaconMaxResources = 256 // entries of resources, and of used
	beaconMaxPath      = 2048
	beaconMaxWord      = 32 // initiatorType, renderBlockingStatus, protocol
	beaconMaxNumber    = 1 << 40
	beaconsPerPage     = 4
	reportMaxPages     = 32
)

// Beacon is what a page's script sends once the page has loaded.
type Beacon struct {
	Page     string `json:"page"`     // location.pathname
	Protocol string `json:"protocol"` // nextHopProtocol of the navigation: "h2", "http/1.1"
	// Resources are the page's same-origin Resource Timing entries.
	Resources []Fetch `json:"resources"`
	// Used lists the same-origin files the document uses: stylesheets
	// (with their imports), scripts, images, background images of the
	// first elements, and the fonts of the faces that loaded.
	Used []string `json:"used"`
}

// Fetch is one Resource Timing entry.
type Fetch struct {
	Name      string `json:"name"`      // path and query
	Initiator string `json:"initiator"` // initiatorType: "early-hints", "link", "css", "script", ...
	Blocking  string `json:"blocking"`  // renderBlockingStatus: "blocking", "non-blocking", "" (not reported)
	Transfer  int64  `json:"transfer"`  // transferSize: 0 from the cache
	Encoded   int64  `json:"encoded"`   // encodedBodySize
}

// parseBeacon reads a beacon: one JSON object with the fields of Beacon
// and no others, nothing after it, every value within its bound.
func parseBeacon(data []byte) (*Beacon, error) {
	if len(data) > beaconMaxBytes {
		return nil, fmt.Errorf("beacon of %d bytes, at most %d", len(data), beaconMaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Beacon
	if err := dec.Decode(&b); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the beacon")
	}
	switch {
	case !validPath(b.Page):
		return nil, errors.New("page is not a path")
	case !validWord(b.Protocol):
		return nil, errors.New("protocol is not a word")
	case len(b.Resources) > beaconMaxResources, len(b.Used) > beaconMaxResources:
		return nil, fmt.Errorf("more than %d entries", beaconMaxResources)
	}
	for _, f := range b.Resources {
		switch {
		case !validPath(f.Name):
			return nil, errors.New("a resource name is not a path")
		case !validWord(f.Initiator), !validWord(f.Blocking):
			return nil, errors.New("a resource's initiator or blocking status is not a word")
		case f.Transfer < 0, f.Transfer > beaconMaxNumber, f.Encoded < 0, f.Encoded > beaconMaxNumber:
			return nil, errors.New("a resource's size is out of range")
		}
	}
	for _, p := range b.Used {
		if !validPath(p) {
			return nil, errors.New("a used file is not a path")
		}
	}
	return &b, nil
}

// validPath: a same-origin path, printable ASCII (as URLs are sent).
func validPath(p string) bool {
	if len(p) == 0 || len(p) > beaconMaxPath || p[0] != '/' || strings.HasPrefix(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validWord: empty, or lowercase letters, digits, '-', '.' and '/'.
func validWord(s string) bool {
	if len(s) > beaconMaxWord {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

// Delivery is what herald sent with the last request of a page.
type Delivery struct {
	Protocol string    `json:"protocol"` // of the request: "HTTP/1.1", "HTTP/2.0"
	Hints    int       `json:"hints"`    // Link values of the 103 (0: none sent)
	Preload  int       `json:"preload"`  // Link values of the response
	Pushed   int       `json:"pushed"`   // assets pushed
	At       time.Time `json:"at"`
}

// reportStore keeps, per page, the last beacons and the last delivery. Its
// methods are safe for concurrent use (mu guards everything).
type reportStore struct {
	mu    sync.Mutex
	lru   list.List // of *pageRecord, most recently reported first
	pages map[string]*list.Element
}

type pageRecord struct {
	page    string
	beacons []*Beacon // the last ones, oldest first
	loads   int       // beacons received, including those dropped
	served  *Delivery
}

func newReportStore() *reportStore { return &reportStore{pages: map[string]*list.Element{}} }

// record returns page's record, made and moved to the front.
func (st *reportStore) record(page string) *pageRecord {
	if el := st.pages[page]; el != nil {
		st.lru.MoveToFront(el)
		return el.Value.(*pageRecord)
	}
	for st.lru.Len() >= reportMaxPages {
		old := st.lru.Back()
		st.lru.Remove(old)
		delete(st.pages, old.Value.(*pageRecord).page)
	}
	r := &pageRecord{page: page}
	st.pages[page] = st.lru.PushFront(r)
	return r
}

func (st *reportStore) addBeacon(page string, b *Beacon) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r := st.record(page)
	if len(r.beacons) == beaconsPerPage {
		r.beacons = append(r.beacons[:0], r.beacons[1:]...)
	}
	r.beacons = append(r.beacons, b)
	r.loads++
}

func (st *reportStore) addDelivery(page string, d Delivery) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.record(page).served = &d
}

// get returns a copy of page's record; ok is false when there is none.
func (st *reportStore) get(page string) (r pageRecord, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	el := st.pages[page]
	if el == nil {
		return r, false
	}
	r = *el.Value.(*pageRecord)
	r.beacons = append([]*Beacon(nil), r.beacons...) // beacons themselves are never changed
	return r, true
}

// recent lists the pages with a record, most recently reported first.
func (st *reportStore) recent() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var pages []string
	for el := st.lru.Front(); el != nil; el = el.Next() {
		pages = append(pages, el.Value.(*pageRecord).page)
	}
	return pages
}
