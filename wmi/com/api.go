package com

import "errors"

// Options tune Connect.
type Options struct {
	// Server is the host to connect to; "" means the local host (".").
	// A remote host is reached with the credentials of the process: Options
	// deliberately has no user or password, so no secret has to live in the
	// service's configuration.
	Server string
}

// server returns the machine name that SWbemLocator.ConnectServer takes.
func (o Options) server() string {
	if o.Server == "" {
		return "."
	}
	return o.Server
}

// ErrNotWindows is returned by Connect on systems other than Windows: the
// COM transport exists only there. Use the simulator (wmi/sim) elsewhere.
var ErrNotWindows = errors.New("wmi/com: the COM transport exists only on Windows")

// ErrClosed is the cause of errors from calls made on a closed Conn.
var ErrClosed = errors.New("wmi/com: connection closed")
