// Command delayproxy is a TCP relay that holds every chunk DELAY before passing it on, in each
// direction (RTT += 2*DELAY), for kernels without netem. Tests use internal/relay; this one adds
// -rate: with -rate 10mbit a bottleneck link of that rate in each direction (bytes queue behind each
// other, per connection: a browser's one HTTP/2 connection sees the whole link). No loss, no slow start.
//
//	delayproxy -listen 127.0.0.1:P -to 127.0.0.1:Q -delay 25ms [-rate 10mbit]
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"time"
)

type chunk struct {
	at time.Time
	b  []byte
}

// rate is the link's bits per second in each direction; 0: unlimited.
var rate float64

func pipe(dst, src net.Conn, delay time.Duration) {
	var busyUntil time.Time // when the link finishes sending what is queued (rate > 0)
	q := make(chan chunk, 4096)
	go func() {
		defer close(q)
		for {
			b := make([]byte, 64<<10)
			n, err := src.Read(b)
			if n > 0 {
				at := time.Now()
				if rate > 0 {
					if busyUntil.After(at) {
						at = busyUntil
					}
					at = at.Add(time.Duration(float64(n) * 8 / rate * float64(time.Second)))
					busyUntil = at
				}
				q <- chunk{at.Add(delay), b[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			src.Close() // unblocks the reader; drain what it queued
			for range q {
			}
			return
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:28444", "listen address")
	to := flag.String("to", "127.0.0.1:28443", "upstream address")
	delay := flag.Duration("delay", 25*time.Millisecond, "one-way delay added in each direction")
	r := flag.String("rate", "", "link rate in each direction, e.g. 10mbit, 1.6mbit (default: unlimited)")
	udp := flag.Bool("udp", false, "relay UDP datagrams too, on the same addresses (HTTP/3)")
	flag.Parse()
	if *r != "" {
		var v float64
		var unit string
		if _, err := fmt.Sscanf(*r, "%g%s", &v, &unit); err != nil || (unit != "mbit" && unit != "kbit") {
			log.Fatalf("-rate %q: want a number and mbit or kbit, e.g. 10mbit", *r)
		}
		rate = v * 1e6
		if unit == "kbit" {
			rate = v * 1e3
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *udp {
		go func() { log.Fatal(relayUDP(*listen, *to, *delay)) }()
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			u, err := net.Dial("tcp", *to)
			if err != nil {
				log.Print(err)
				c.Close()
				return
			}
			done := make(chan struct{})
			go func() { pipe(u, c, *delay); done <- struct{}{} }()
			pipe(c, u, *delay)
			<-done
			c.Close()
			u.Close()
		}()
	}
}
