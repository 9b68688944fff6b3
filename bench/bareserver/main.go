// Command bareserver is the peer of the harness's jobs pair: a bare
// net/http server, in a process of its own as hvport's server is, that
// answers every request with the bytes of one file as application/json.
// It prints the address it listens on, then serves until killed.
//
//	bareserver BODY-FILE
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bareserver BODY-FILE")
		os.Exit(2)
	}
	body, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
