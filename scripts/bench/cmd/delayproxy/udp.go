package main

import (
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// udpIdle is how long a client address keeps its mapping with no datagram
// either way; QUIC's own idle timeout (30 s in Chromium and quic-go) ends
// a connection before that.
const udpIdle = 2 * time.Minute

// datagram is one datagram waiting for its time on the link.
type datagram struct {
	at time.Time
	b  []byte
}

// link delays the datagrams of one direction of one mapping by delay and,
// with rate > 0, queues them behind each other at that rate. Send is
// called by one goroutine; run, started by newLink, writes them out.
type link struct {
	q         chan datagram
	delay     time.Duration
	busyUntil time.Time // when the link finishes sending what is queued; only Send touches it
}

func newLink(delay time.Duration, write func([]byte) error) *link {
	l := &link{q: make(chan datagram, 4096), delay: delay}
	go func() {
		for d := range l.q {
			time.Sleep(time.Until(d.at))
			write(d.b) // a datagram lost on the way: QUIC resends it
		}
	}()
	return l
}

// Send queues a copy of b; a full queue drops it, as a router's would.
func (l *link) Send(b []byte) {
	at := time.Now()
	if rate > 0 {
		if l.busyUntil.After(at) {
			at = l.busyUntil
		}
		at = at.Add(time.Duration(float64(len(b)) * 8 / rate * float64(time.Second)))
		l.busyUntil = at
	}
	select {
	case l.q <- datagram{at.Add(l.delay), append([]byte(nil), b...)}:
	default:
	}
}

func (l *link) Close() { close(l.q) }

// mapping is one client address's socket to the upstream and its two links.
type mapping struct {
	up       *net.UDPConn
	toUp     *link
	toClient *link
	last     atomic.Int64 // unix nanoseconds of the last datagram either way
}

// relayUDP relays datagrams arriving on listen to upstream, each client
// address through a socket of its own (so the upstream's replies find their
// way back), delayed by delay each way. It logs each new client address,
// so a caller can tell that traffic went through it. The main goroutine's
// read loop owns the mapping table; a mapping's reader removes it when idle.
func relayUDP(listen, upstream string, delay time.Duration) error {
	laddr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return err
	}
	raddr, err := net.ResolveUDPAddr("udp", upstream)
	if err != nil {
		return err
	}
	ln, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	mappings := map[string]*mapping{}
	buf := make([]byte, 64<<10)
	for {
		n, client, err := ln.ReadFromUDP(buf)
		if err != nil {
			return err
		}
		mu.Lock()
		m := mappings[client.String()]
		if m == nil {
			up, err := net.DialUDP("udp", nil, raddr)
			if err != nil {
				mu.Unlock()
				log.Printf("udp %s: %v", client, err)
				continue
			}
			m = &mapping{up: up}
			m.toUp = newLink(delay, func(b []byte) error { _, err := up.Write(b); return err })
			m.toClient = newLink(delay, func(b []byte) error { _, err := ln.WriteToUDP(b, client); return err })
			mappings[client.String()] = m
			log.Printf("udp: new client %s", client)
			go func() {
				fromUpstream(m)
				mu.Lock()
				delete(mappings, client.String()) // no Send to m.toUp after this
				mu.Unlock()
				m.up.Close()
				m.toUp.Close()
				m.toClient.Close()
			}()
		}
		m.last.Store(time.Now().UnixNano())
		m.toUp.Send(buf[:n])
		mu.Unlock()
	}
}

// fromUpstream passes the upstream's datagrams to the client until the
// mapping has been idle for udpIdle or the upstream socket fails.
func fromUpstream(m *mapping) {
	buf := make([]byte, 64<<10)
	for {
		m.up.SetReadDeadline(time.Now().Add(udpIdle))
		n, err := m.up.Read(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() &&
				time.Since(time.Unix(0, m.last.Load())) < udpIdle {
				continue
			}
			return
		}
		m.last.Store(time.Now().UnixNano())
		m.toClient.Send(buf[:n])
	}
}
