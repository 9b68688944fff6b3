//go:build !windows

package com

import (
	"context"

	"github.com/hvport/hvport/wmi"
)

var _ wmi.Services = (*Conn)(nil)

// Conn exists on every system so that callers compile; outside Windows no
// Conn is ever made.
type Conn struct {
	namespace string
}

// Connect fails with ErrNotWindows: the COM transport exists only on
// Windows.
func Connect(ctx context.Context, namespace string, opts Options) (*Conn, error) {
	return nil, ErrNotWindows
}

// Close does nothing.
func (c *Conn) Close() error { return nil }

// Namespace is the namespace passed to Connect.
func (c *Conn) Namespace() string { return c.namespace }

// ExecQuery fails with ErrNotWindows.
func (c *Conn) ExecQuery(ctx context.Context, wql string) ([]*wmi.Object, error) {
	return nil, ErrNotWindows
}

// Get fails with ErrNotWindows.
func (c *Conn) Get(ctx context.Context, path string) (*wmi.Object, error) {
	return nil, ErrNotWindows
}

// ExecMethod fails with ErrNotWindows.
func (c *Conn) ExecMethod(ctx context.Context, path, method string, in wmi.Params) (*wmi.Object, error) {
	return nil, ErrNotWindows
}

var _ wmi.InstanceTexter = (*Conn)(nil)

// InstanceText fails with ErrNotWindows.
func (c *Conn) InstanceText(ctx context.Context, o *wmi.Object) (string, error) {
	return "", ErrNotWindows
}
