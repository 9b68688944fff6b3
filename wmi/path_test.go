package wmi

import (
	"errors"
	"reflect"
	"testing"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ObjectPath
		str  string // String(); "" means the input itself
		rel  string
	}{
		{
			// From the memory sample's __PATH: the backslash inside the
			// quoted key is doubled in the path and single in the value.
			in: `\\HV12OSDEMO1\root\virtualization:Msvm_MemorySettingData.InstanceID="Microsoft:379FAC72-4830-49B0-B813-0AE089F1CA08\\4764334d-e001-4176-82ee-5594ec9b530e"`,
			want: ObjectPath{Server: "HV12OSDEMO1", Namespace: `root\virtualization`, Class: "Msvm_MemorySettingData",
				Keys: []Key{{"InstanceID", `Microsoft:379FAC72-4830-49B0-B813-0AE089F1CA08\4764334d-e001-4176-82ee-5594ec9b530e`}}},
			rel: `Msvm_MemorySettingData.InstanceID="Microsoft:379FAC72-4830-49B0-B813-0AE089F1CA08\\4764334d-e001-4176-82ee-5594ec9b530e"`,
		},
		{
			in: `\\.\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="6A0F2E1B-0C3D-4E5F-8A9B-0C1D2E3F4A5B"`,
			want: ObjectPath{Server: ".", Namespace: NamespaceV2, Class: "Msvm_ComputerSystem",
				Keys: []Key{{"CreationClassName", "Msvm_ComputerSystem"}, {"Name", "6A0F2E1B-0C3D-4E5F-8A9B-0C1D2E3F4A5B"}}},
			rel: `Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="6A0F2E1B-0C3D-4E5F-8A9B-0C1D2E3F4A5B"`,
		},
		{
			// Forward slashes (go-ole style monikers) normalise to backslashes.
			in:   `//HOST/root/virtualization/v2:Msvm_ConcreteJob.InstanceID="J1"`,
			want: ObjectPath{Server: "HOST", Namespace: NamespaceV2, Class: "Msvm_ConcreteJob", Keys: []Key{{"InstanceID", "J1"}}},
			str:  `\\HOST\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="J1"`,
			rel:  `Msvm_ConcreteJob.InstanceID="J1"`,
		},
		{
			in:   `root/virtualization/v2:Msvm_ConcreteJob.InstanceID="J1"`,
			want: ObjectPath{Namespace: NamespaceV2, Class: "Msvm_ConcreteJob", Keys: []Key{{"InstanceID", "J1"}}},
			str:  `root\virtualization\v2:Msvm_ConcreteJob.InstanceID="J1"`,
			rel:  `Msvm_ConcreteJob.InstanceID="J1"`,
		},
		{
			// A colon inside a key value is not a namespace separator.
			in:   `Msvm_VirtualSystemSettingData.InstanceID="Microsoft:GUID"`,
			want: ObjectPath{Class: "Msvm_VirtualSystemSettingData", Keys: []Key{{"InstanceID", "Microsoft:GUID"}}},
			rel:  `Msvm_VirtualSystemSettingData.InstanceID="Microsoft:GUID"`,
		},
		{
			in:   `Msvm_X.A="say \"hi\", then, \\go",B="x"`,
			want: ObjectPath{Class: "Msvm_X", Keys: []Key{{"A", `say "hi", then, \go`}, {"B", "x"}}},
			rel:  `Msvm_X.A="say \"hi\", then, \\go",B="x"`,
		},
		{
			// Unquoted (numeric) keys parse; String quotes every key.
			in:   `Win32_Process.Handle=4`,
			want: ObjectPath{Class: "Win32_Process", Keys: []Key{{"Handle", "4"}}},
			str:  `Win32_Process.Handle="4"`,
			rel:  `Win32_Process.Handle="4"`,
		},
		{
			in:   `Msvm_Singleton=@`,
			want: ObjectPath{Class: "Msvm_Singleton", Singleton: true},
			rel:  `Msvm_Singleton=@`,
		},
		{
			in:   `\\HOST\root\cimv2:Win32_OperatingSystem=@`,
			want: ObjectPath{Server: "HOST", Namespace: `root\cimv2`, Class: "Win32_OperatingSystem", Singleton: true},
			rel:  `Win32_OperatingSystem=@`,
		},
		{
			in:   `\\HOST\root\virtualization\v2:Msvm_ComputerSystem`,
			want: ObjectPath{Server: "HOST", Namespace: NamespaceV2, Class: "Msvm_ComputerSystem"},
			rel:  `Msvm_ComputerSystem`,
		},
		{
			in:   `__PARAMETERS`,
			want: ObjectPath{Class: "__PARAMETERS"},
			rel:  `__PARAMETERS`,
		},
		{
			in:   `Msvm_X.Name="ünïcødé VM"`,
			want: ObjectPath{Class: "Msvm_X", Keys: []Key{{"Name", "ünïcødé VM"}}},
			rel:  `Msvm_X.Name="ünïcødé VM"`,
		},
	} {
		got, err := ParsePath(tc.in)
		if err != nil {
			t.Errorf("ParsePath(%s): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePath(%s)\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
		str := tc.str
		if str == "" {
			str = tc.in
		}
		if got.String() != str {
			t.Errorf("String() = %s, want %s", got.String(), str)
		}
		if got.RelPath() != tc.rel {
			t.Errorf("RelPath() = %s, want %s", got.RelPath(), tc.rel)
		}
		// String's output is canonical: it parses back to the same path.
		if again, err := ParsePath(got.String()); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("ParsePath(String()) = %+v, %v", again, err)
		}
	}
}

func TestObjectPathKey(t *testing.T) {
	p, err := ParsePath(`Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="G"`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Key("name") != "G" || p.Key("NAME") != "G" || p.Key("Missing") != "" {
		t.Errorf("Key lookup wrong: %+v", p)
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`\\server`,                   // no namespace
		`\\server\root\cimv2`,        // no ':'
		`\\\root\cimv2:C`,            // empty server
		`\\server\:C`,                // empty namespace
		`:C`,                         // empty namespace
		`\\server\root:`,             // empty class
		`.K="v"`,                     // empty class
		`C.`,                         // no key after '.'
		`C.K`,                        // no '='
		`C.="v"`,                     // empty key name
		`C.K="v",`,                   // trailing comma
		`C.K="v`,                     // unterminated
		`C.K="v\"`,                   // escaped closing quote: unterminated
		`C.K="v"x`,                   // junk after value
		`C.K="v";L="w"`,              // wrong separator
		`C=`,                         // singleton without '@'
		`C=@x`,                       // junk after '@'
		`not a path`,                 // spaces are not a class name
		`1Class`,                     // names do not start with a digit
		`C.K-1="v"`,                  // invalid key name
		`root\cimv2:Bad Class.K="v"`, // invalid class name after a namespace
	} {
		p, err := ParsePath(in)
		var we *Error
		if !errors.As(err, &we) || we.HResult != WBEMInvalidObjectPath || we.Op != "ParsePath" {
			t.Errorf("ParsePath(%q) = %+v, %v; want an *Error with WBEMInvalidObjectPath", in, p, err)
		}
	}
}

func TestObjectPathStringBuilt(t *testing.T) {
	// Paths built by hand (the simulator does) format like WMI's.
	p := ObjectPath{Server: "HOST", Namespace: NamespaceV2, Class: "Msvm_StorageAllocationSettingData",
		Keys: []Key{{"InstanceID", `Microsoft:VM\CTRL\0\0\D`}}}
	want := `\\HOST\root\virtualization\v2:Msvm_StorageAllocationSettingData.InstanceID="Microsoft:VM\\CTRL\\0\\0\\D"`
	if p.String() != want {
		t.Errorf("String() = %s\nwant       %s", p.String(), want)
	}
	if q, err := ParsePath(want); err != nil || q.Key("InstanceID") != `Microsoft:VM\CTRL\0\0\D` {
		t.Errorf("ParsePath: %+v, %v", q, err)
	}
}

func TestSamePath(t *testing.T) {
	const full = `\\HV12OSDEMO1\root\virtualization:Msvm_MemorySettingData.InstanceID="Microsoft:379FAC72-4830-49B0-B813-0AE089F1CA08\\4764334d-e001-4176-82ee-5594ec9b530e"`
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{full, full, true},
		// Relative vs full, different case in class, key name and GUID.
		{full, `msvm_memorysettingdata.instanceid="Microsoft:379fac72-4830-49b0-b813-0ae089f1ca08\\4764334D-E001-4176-82EE-5594EC9B530E"`, true},
		// The server is ignored: "." and the host name are one machine.
		{full, `\\.\root\virtualization:Msvm_MemorySettingData.InstanceID="Microsoft:379FAC72-4830-49B0-B813-0AE089F1CA08\\4764334d-e001-4176-82ee-5594ec9b530e"`, true},
		{full, `//HV12OSDEMO1/root/virtualization:Msvm_MemorySettingData.InstanceID="Microsoft:379FAC72-4830-49B0-B813-0AE089F1CA08\\4764334d-e001-4176-82ee-5594ec9b530e"`, true},
		// Namespaces differ.
		{full, `\\HV12OSDEMO1\root\virtualization\v2:Msvm_MemorySettingData.InstanceID="Microsoft:379FAC72-4830-49B0-B813-0AE089F1CA08\\4764334d-e001-4176-82ee-5594ec9b530e"`, false},
		// A single backslash in the path is an escape, so this is another value.
		{full, `Msvm_MemorySettingData.InstanceID="Microsoft:379FAC72-4830-49B0-B813-0AE089F1CA08\4764334d-e001-4176-82ee-5594ec9b530e"`, false},
		// Key order does not matter; key names must match.
		{`C.A="1",B="2"`, `C.B="2",A="1"`, true},
		{`C.A="",B="2"`, `C.X="",B="2"`, false},
		{`C.A="1"`, `C.A="1",B="2"`, false},
		{`C.A="1"`, `D.A="1"`, false},
		// Singleton vs class path.
		{`C=@`, `C=@`, true},
		{`C=@`, `C`, false},
		// Unparseable paths compare as strings.
		{`junk path`, `junk path`, true},
		{`junk path`, `Junk path`, false},
	} {
		if got := SamePath(tc.a, tc.b); got != tc.want {
			t.Errorf("SamePath(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := SamePath(tc.b, tc.a); got != tc.want {
			t.Errorf("SamePath(%s, %s) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}
