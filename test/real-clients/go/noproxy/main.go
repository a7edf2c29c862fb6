// Command noproxy asks Go's own net/http what it does with the proxy environment.
//
//	noproxy decide URL...  one JSON line per URL: {"url":..., "proxy": "" (direct) or the proxy URL}
//	noproxy fetch URL...   one JSON line per URL: a real GET through http.DefaultTransport
//	                       (Proxy: http.ProxyFromEnvironment), {"url", "status", "body", "error"}
//
// net/http reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY (or their lower-case forms) once per process,
// so run one process per environment.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

type decision struct {
	URL   string `json:"url"`
	Proxy string `json:"proxy"`
	Error string `json:"error,omitempty"`
}

type fetched struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error,omitempty"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: noproxy decide|fetch URL...")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	switch os.Args[1] {
	case "decide":
		for _, u := range os.Args[2:] {
			d := decision{URL: u}
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				d.Error = err.Error()
			} else if p, err := http.ProxyFromEnvironment(req); err != nil {
				d.Error = err.Error()
			} else if p != nil {
				d.Proxy = p.String()
			}
			_ = out.Encode(d)
		}
	case "fetch":
		// http.DefaultTransport: Proxy is http.ProxyFromEnvironment; trusted roots come from
		// SSL_CERT_FILE when set (the test's own CA).
		client := &http.Client{Transport: http.DefaultTransport, Timeout: 10 * time.Second}
		for _, u := range os.Args[2:] {
			f := fetched{URL: u}
			resp, err := client.Get(u)
			if err != nil {
				f.Error = err.Error()
			} else {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
				resp.Body.Close()
				f.Status = resp.StatusCode
				f.Body = string(body)
			}
			_ = out.Encode(f)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}
