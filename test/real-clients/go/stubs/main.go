// Command stubs runs small recording servers for the real-client tests. They run inside private network
// namespaces, so they only ever listen on (and answer) namespace-local addresses.
//
//	stubs imds     --bind 169.254.169.254 --port 80  --log FILE --ready FILE [--region R]
//	    IMDSv2: PUT /latest/api/token issues a token; GETs need it (401 otherwise).
//	stubs proxy    --bind 127.0.0.1 --port 3128 --log FILE --ready FILE
//	    A recording forward proxy: logs the request line (GET http://... or CONNECT host:443) and
//	    answers 502 without connecting anywhere.
//	stubs upstream --bind 0.0.0.0 --http-port 80 --https-port 443 --cert C --key K --log FILE --ready FILE
//	    An origin server on every namespace-local address: 200 'upstream-ok <host>' and a log line.
//	stubs healthz  --bind 127.0.0.1 --port 10248 --log FILE --ready FILE
//	    kubelet's health endpoint: GET /healthz answers 200 'ok' (404 otherwise), one log line a request.
//	stubs apiserver --bind ADDR --port 443 --cert C --key K --token T --node NAME --ready-after N --log FILE --ready FILE
//	    A Kubernetes API server for one node, over HTTPS: POST .../v1/selfsubjectreviews answers 201
//	    with the user system:node:NAME, GET /api/v1/nodes/NAME the Node with Ready=False for the first N
//	    GETs and Ready=True after; both only with 'Authorization: Bearer T' (401 otherwise), 404 for
//	    anything else. One log line a request (method, path, whether the token was right).
//
// Every log line is one JSON object (with "time", seconds since the epoch). Request lines and headers are
// logged as read, one character a byte (Latin-1, as Python's http.server decodes them). The servers speak
// HTTP/1.1 only and close the connection after each answer. The process stops after --lifetime seconds
// (default 300) at the latest; --ready FILE is written (atomically) once the server listens.
//
// Several servers run in one process when their specs are joined by "+" (each with its own --ready file; the
// process stops after the longest --lifetime, or when any server fails), e.g.
//
//	stubs healthz --bind 127.0.0.1 --port 10248 --log L1 --ready R1 + proxy --bind 127.0.0.1 --port 3128 --log L2 --ready R2
//
// Written in Go because the sandboxes start one for nearly every run: a Python http.server stub took about
// 100 ms of CPU to start on a 2-core VM (most of it imports), this binary a few.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type spec struct {
	kind       string
	bind       string
	port       int
	httpPort   int
	httpsPort  int
	cert       string
	key        string
	log        string
	ready      string
	lifetime   float64
	region     string
	token      string
	node       string
	readyAfter int
}

var servers = map[string]func(*spec) error{
	"imds":      imds,
	"proxy":     proxy,
	"upstream":  upstream,
	"healthz":   healthz,
	"apiserver": apiserver,
}

func parseSpec(args []string) (*spec, error) {
	if len(args) == 0 {
		return nil, errors.New("a server spec names its kind first (imds, proxy, upstream, healthz, apiserver)")
	}
	s := &spec{kind: args[0]}
	if _, ok := servers[s.kind]; !ok {
		return nil, fmt.Errorf("unknown server kind %q", s.kind)
	}
	fs := flag.NewFlagSet(s.kind, flag.ContinueOnError)
	fs.StringVar(&s.bind, "bind", "", "the address to listen on")
	fs.IntVar(&s.port, "port", 0, "the port to listen on")
	fs.IntVar(&s.httpPort, "http-port", 80, "upstream: the HTTP port")
	fs.IntVar(&s.httpsPort, "https-port", 0, "upstream: the HTTPS port (0: none)")
	fs.StringVar(&s.cert, "cert", "", "the TLS certificate (PEM)")
	fs.StringVar(&s.key, "key", "", "the TLS key (PEM)")
	fs.StringVar(&s.log, "log", "", "the JSON-lines log")
	fs.StringVar(&s.ready, "ready", "", "the file written once the server listens")
	fs.Float64Var(&s.lifetime, "lifetime", 300, "seconds before the process stops")
	fs.StringVar(&s.region, "region", "us-east-1", "imds: the region it reports")
	fs.StringVar(&s.token, "token", "", "apiserver: the bearer token it accepts")
	fs.StringVar(&s.node, "node", "", "apiserver: the node's name")
	fs.IntVar(&s.readyAfter, "ready-after", 0, "apiserver: GETs of the Node answered NotReady first")
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%s: unexpected arguments %q", s.kind, fs.Args())
	}
	if s.bind == "" || s.log == "" || s.ready == "" {
		return nil, fmt.Errorf("%s: --bind, --log and --ready are required", s.kind)
	}
	return s, nil
}

var logLock sync.Mutex

// record appends one JSON line to the log.
func record(path string, entry map[string]any) {
	entry["time"] = float64(time.Now().UnixNano()) / 1e9
	line, err := json.Marshal(entry)
	if err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		return
	}
	logLock.Lock()
	defer logLock.Unlock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
	}
}

// latin1 is s with each byte read as one character, as Python's http.server decodes request lines and headers.
func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// ready writes the ready file whole (a temporary file renamed over it).
func ready(path, what string) error {
	if err := os.WriteFile(path+".tmp", []byte(what+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

func listen(bind string, port int) (net.Listener, error) {
	network := "tcp"
	if ip := net.ParseIP(bind); ip != nil && ip.To4() != nil {
		network = "tcp4" // an IPv4 address listens on IPv4 only (Go would make 0.0.0.0 a dual-stack socket)
	}
	return net.Listen(network, net.JoinHostPort(bind, strconv.Itoa(port)))
}

func tlsListener(l net.Listener, s *spec) (net.Listener, error) {
	pair, err := tls.LoadX509KeyPair(s.cert, s.key)
	if err != nil {
		return nil, err
	}
	return tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"http/1.1"}}), nil
}

// listenAndServe listens on --bind and --port (over TLS with --cert and --key when secure), writes the ready file
// and answers with h.
func listenAndServe(s *spec, secure bool, h http.HandlerFunc) error {
	l, err := listen(s.bind, s.port)
	if err != nil {
		return err
	}
	if secure {
		if l, err = tlsListener(l, s); err != nil {
			return err
		}
	}
	if err := ready(s.ready, s.kind); err != nil {
		return err
	}
	return serve(l, h)
}

// serve answers HTTP/1.1 on l with h (no HTTP/2, a 10 s limit a request, as the stubs always had).
func serve(l net.Listener, h http.HandlerFunc) error {
	server := &http.Server{
		Handler:      h,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	return server.Serve(l)
}

// reply answers with a body and Connection: close; no Content-Type unless given (Go would guess one).
func reply(w http.ResponseWriter, code int, body []byte, headers map[string]string) {
	h := w.Header()
	h["Content-Type"] = nil
	for k, v := range headers {
		h.Set(k, v)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	w.WriteHeader(code)
	_, _ = w.Write(body) // nothing is sent for HEAD
}

// unsupported answers 501 (as http.server does) to a method the stub does not serve; true when it did.
func unsupported(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
	for _, m := range allowed {
		if r.Method == m {
			return false
		}
	}
	reply(w, http.StatusNotImplemented, nil, nil)
	return true
}

func headerOrNil(r *http.Request, name string) any {
	if v := r.Header.Values(name); len(v) > 0 {
		return latin1(v[0])
	}
	return nil
}

func imds(s *spec) error {
	meta := map[string]string{
		"/latest/meta-data/instance-id":                 "i-0123456789abcdef0",
		"/latest/meta-data/local-ipv4":                  "10.0.1.23",
		"/latest/meta-data/local-hostname":              "ip-10-0-1-23.ec2.internal",
		"/latest/meta-data/placement/region":            s.region,
		"/latest/meta-data/placement/availability-zone": s.region + "a",
		"/latest/meta-data/mac":                         "0e:00:00:00:00:01",
	}
	var lock sync.Mutex
	tokens := map[string]bool{}
	return listenAndServe(s, false, func(w http.ResponseWriter, r *http.Request) {
		if unsupported(w, r, http.MethodPut, http.MethodGet) {
			return
		}
		path := latin1(r.RequestURI)
		if r.Method == http.MethodPut {
			ttl := headerOrNil(r, "X-aws-ec2-metadata-token-ttl-seconds")
			ok := path == "/latest/api/token" && ttl != nil
			record(s.log, map[string]any{"method": "PUT", "path": path, "ttl": ttl, "ok": ok})
			if !ok {
				reply(w, http.StatusBadRequest, nil, nil)
				return
			}
			raw := make([]byte, 16)
			if _, err := rand.Read(raw); err != nil {
				reply(w, http.StatusInternalServerError, nil, nil)
				return
			}
			token := hex.EncodeToString(raw)
			lock.Lock()
			tokens[token] = true
			lock.Unlock()
			reply(w, http.StatusOK, []byte(token), map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": ttl.(string)})
			return
		}
		lock.Lock()
		valid := tokens[r.Header.Get("X-aws-ec2-metadata-token")]
		lock.Unlock()
		record(s.log, map[string]any{"method": "GET", "path": path, "tokenValid": valid})
		if !valid {
			reply(w, http.StatusUnauthorized, nil, nil)
		} else if v, ok := meta[path]; ok {
			reply(w, http.StatusOK, []byte(v), nil)
		} else {
			reply(w, http.StatusNotFound, nil, nil)
		}
	})
}

func proxy(s *spec) error {
	l, err := listen(s.bind, s.port)
	if err != nil {
		return err
	}
	if err := ready(s.ready, s.kind); err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go proxyConnection(c, s.log)
	}
}

// proxyConnection reads one request head (up to 64 KiB, 5 s), logs its request line and Host, answers 502.
func proxyConnection(c net.Conn, log string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var data []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(data, []byte("\r\n\r\n")) && len(data) < 65536 {
		n, err := c.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			break
		}
	}
	head := latin1(string(bytes.SplitN(data, []byte("\r\n\r\n"), 2)[0]))
	lines := strings.Split(head, "\r\n")
	parts := strings.Split(lines[0], " ")
	target := ""
	if len(parts) > 1 {
		target = parts[1]
	}
	var host any
	for _, line := range lines[1:] {
		if strings.HasPrefix(strings.ToLower(line), "host:") {
			host = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
			break
		}
	}
	record(log, map[string]any{"method": parts[0], "target": target, "host": host})
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
}

func addressOnly(hostPort string) string {
	if h, _, err := net.SplitHostPort(hostPort); err == nil {
		return h
	}
	return hostPort
}

func upstream(s *spec) error {
	handler := func(scheme string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if unsupported(w, r, http.MethodGet, http.MethodHead) {
				return
			}
			host := latin1(r.Host)
			local := ""
			if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
				local = addressOnly(a.String())
			}
			record(s.log, map[string]any{
				"scheme": scheme, "method": r.Method, "host": host,
				"path": latin1(r.RequestURI), "local": local, "peer": addressOnly(r.RemoteAddr),
			})
			reply(w, http.StatusOK, []byte("upstream-ok "+host+"\n"), map[string]string{"Content-Type": "text/plain"})
		}
	}
	plain, err := listen(s.bind, s.httpPort)
	if err != nil {
		return err
	}
	failed := make(chan error, 2)
	go func() { failed <- serve(plain, handler("http")) }()
	if s.httpsPort != 0 {
		l, err := listen(s.bind, s.httpsPort)
		if err != nil {
			return err
		}
		secure, err := tlsListener(l, s)
		if err != nil {
			return err
		}
		go func() { failed <- serve(secure, handler("https")) }()
	}
	if err := ready(s.ready, s.kind); err != nil {
		return err
	}
	return <-failed
}

func healthz(s *spec) error {
	return listenAndServe(s, false, func(w http.ResponseWriter, r *http.Request) {
		if unsupported(w, r, http.MethodGet) {
			return
		}
		path := latin1(r.RequestURI)
		record(s.log, map[string]any{"method": "GET", "path": path, "host": latin1(r.Host)})
		if path == "/healthz" {
			reply(w, http.StatusOK, []byte("ok"), map[string]string{"Content-Type": "text/plain"})
		} else {
			reply(w, http.StatusNotFound, nil, nil)
		}
	})
}

func apiserver(s *spec) error {
	var lock sync.Mutex
	gets := 0
	asJSON := map[string]string{"Content-Type": "application/json"}
	return listenAndServe(s, true, func(w http.ResponseWriter, r *http.Request) {
		if unsupported(w, r, http.MethodGet, http.MethodPost) {
			return
		}
		body, _ := io.ReadAll(r.Body)
		path := latin1(r.RequestURI)
		authorized := r.Header.Get("Authorization") == "Bearer "+s.token
		// The body as UTF-8 (json.Marshal writes U+FFFD for bytes that are not, as Python's "replace" did).
		record(s.log, map[string]any{"method": r.Method, "path": path, "authorized": authorized, "body": string(body)})
		switch {
		case !authorized:
			reply(w, http.StatusUnauthorized, []byte(`{"kind":"Status","code":401}`), nil)
		case r.Method == http.MethodPost && path == "/apis/authentication.k8s.io/v1/selfsubjectreviews":
			review, _ := json.Marshal(map[string]any{
				"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
				"status": map[string]any{"userInfo": map[string]any{
					"username": "system:node:" + s.node,
					"groups":   []string{"system:nodes", "system:authenticated"},
				}},
			})
			reply(w, http.StatusCreated, review, asJSON)
		case r.Method == http.MethodGet && path == "/api/v1/nodes/"+s.node:
			lock.Lock()
			gets++
			status := "False"
			if gets > s.readyAfter {
				status = "True"
			}
			lock.Unlock()
			node, _ := json.Marshal(map[string]any{
				"kind": "Node", "metadata": map[string]any{"name": s.node},
				"status": map[string]any{"conditions": []map[string]string{
					{"type": "MemoryPressure", "status": "False"},
					{"type": "Ready", "status": status},
				}},
			})
			reply(w, http.StatusOK, node, asJSON)
		default:
			reply(w, http.StatusNotFound, []byte(`{"kind":"Status","code":404}`), nil)
		}
	})
}

func main() {
	groups := [][]string{{}}
	for _, arg := range os.Args[1:] {
		if arg == "+" {
			groups = append(groups, []string{})
		} else {
			groups[len(groups)-1] = append(groups[len(groups)-1], arg)
		}
	}
	var specs []*spec
	lifetime := 0.0
	for _, g := range groups {
		s, err := parseSpec(g)
		if err != nil {
			fmt.Fprintln(os.Stderr, "stubs:", err)
			os.Exit(2)
		}
		specs = append(specs, s)
		if s.lifetime > lifetime {
			lifetime = s.lifetime
		}
	}
	time.AfterFunc(time.Duration(lifetime*float64(time.Second)), func() { os.Exit(0) })
	// Each server on its own; the first that fails (to start: its ready file is never written) ends the process
	// with its error on stderr.
	failed := make(chan error)
	for _, s := range specs {
		s := s
		go func() { failed <- fmt.Errorf("%s on %s: %w", s.kind, s.bind, servers[s.kind](s)) }()
	}
	fmt.Fprintln(os.Stderr, "stubs:", <-failed)
	os.Exit(1)
}
