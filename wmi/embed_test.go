package wmi

import (
	"context"
	"errors"
	"testing"
)

// plainServices is a transport without text of its own (like the
// simulator); texterServices has one.
type plainServices struct{}

func (plainServices) Namespace() string { return NamespaceV2 }
func (plainServices) ExecQuery(context.Context, string) ([]*Object, error) {
	return nil, nil
}
func (plainServices) Get(context.Context, string) (*Object, error) { return nil, nil }
func (plainServices) ExecMethod(context.Context, string, string, Params) (*Object, error) {
	return nil, nil
}

type texterServices struct {
	plainServices
	text string
	err  error
	got  *Object
}

func (s *texterServices) InstanceText(ctx context.Context, o *Object) (string, error) {
	s.got = o
	return s.text, s.err
}

func embedSample() *Object {
	o := &Object{Class: ClassExportSettingData}
	o.MustAdd("CopyVmStorage", CIMBoolean, false, true)
	o.MustAdd("CopySnapshotConfiguration", CIMUint8, false, uint8(1))
	o.MustAdd("ExcludedVirtualHardDisks", CIMString, true, []string{`Microsoft:A\B\0\0\D`})
	return o
}

func TestEmbedWithoutTransportText(t *testing.T) {
	o := embedSample()
	want, err := EncodeInstance(o)
	if err != nil {
		t.Fatal(err)
	}
	text, fallback, err := Embed(context.Background(), plainServices{}, o)
	if err != nil || fallback != nil || text != want {
		t.Fatalf("Embed = %q, %v, %v; want EncodeInstance's text and no fallback", text, fallback, err)
	}
}

func TestEmbedUsesTransportText(t *testing.T) {
	o := embedSample()
	s := &texterServices{text: `<INSTANCE CLASSNAME="from-the-transport"/>`}
	text, fallback, err := Embed(context.Background(), s, o)
	if err != nil || fallback != nil || text != s.text {
		t.Fatalf("Embed = %q, %v, %v; want the transport's text", text, fallback, err)
	}
	if s.got != o {
		t.Errorf("the transport got %p, want the object itself %p", s.got, o)
	}
}

func TestEmbedFallsBackWhenTheTransportFails(t *testing.T) {
	o := embedSample()
	cause := &Error{Op: "InstanceText", Path: o.Class, HResult: 0x80020006, Msg: "GetText_: unknown name"}
	s := &texterServices{err: cause}
	text, fallback, err := Embed(context.Background(), s, o)
	want, _ := EncodeInstance(o)
	if err != nil || text != want {
		t.Fatalf("Embed = %q, %v; want EncodeInstance's text", text, err)
	}
	if !errors.Is(fallback, cause) {
		t.Errorf("fallback = %v, want the transport's error", fallback)
	}
	back, err := DecodeInstance(text)
	if err != nil || back.Class != o.Class || len(back.Strings("ExcludedVirtualHardDisks")) != 1 || !back.Bool("CopyVmStorage") {
		t.Errorf("fallback text decodes to %+v, %v", back, err)
	}
}

func TestEmbedFallbackThatCannotEncode(t *testing.T) {
	s := &texterServices{err: errors.New("transport down")}
	_, fallback, err := Embed(context.Background(), s, &Object{}) // no class
	var we *Error
	if !errors.As(err, &we) || we.HResult != WBEMInvalidParameter || fallback == nil {
		t.Fatalf("Embed of a classless object = %v (fallback %v); want EncodeInstance's error and the transport's", err, fallback)
	}
}

func TestEmbedDoesNotFallBackWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &texterServices{err: &Error{Op: "InstanceText", HResult: WBEMCallCancelled, Err: context.Canceled}}
	text, fallback, err := Embed(ctx, s, embedSample())
	if !errors.Is(err, context.Canceled) || fallback != nil || text != "" {
		t.Fatalf("Embed after cancel = %q, %v, %v; want the cancellation", text, fallback, err)
	}
}
