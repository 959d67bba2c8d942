// Command gofs is the baseline HTTP/2-over-TLS static server: net/http's FileServer and nothing else.
//
//	gofs -dir DIR -addr 127.0.0.1:PORT -cert C -key K [-push /page.html=/a.css,/b.js]
package main

import (
	"flag"
	"log"
	"net/http"
	"strings"
)

func main() {
	dir := flag.String("dir", ".", "directory to serve")
	addr := flag.String("addr", "127.0.0.1:8443", "listen address")
	cert := flag.String("cert", "cert.pem", "TLS certificate")
	key := flag.String("key", "key.pem", "TLS key")
	push := flag.String("push", "", "PAGE=ASSET,ASSET: push ASSETs with PAGE (HTTP/2 server push)")
	flag.Parse()
	fs := http.FileServer(http.Dir(*dir))
	page, assets, _ := strings.Cut(*push, "=")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := w.(http.Pusher); ok && page != "" && r.URL.Path == page {
			for _, a := range strings.Split(assets, ",") {
				if err := p.Push(a, nil); err != nil {
					break
				}
			}
		}
		if strings.HasSuffix(r.URL.Path, "/index.html") { // serve in place; FileServer would redirect to ./
			r.URL.Path = strings.TrimSuffix(r.URL.Path, "index.html")
		}
		fs.ServeHTTP(w, r)
	})
	log.Fatal(http.ListenAndServeTLS(*addr, *cert, *key, h))
}
