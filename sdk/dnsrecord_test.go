package sdk_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func TestNormalizeRecordData(t *testing.T) {
	good := []struct {
		typ  string
		in   []string
		want []string
	}{
		{sdk.RecordA, []string{" 10.0.0.1 ", "10.0.0.2"}, []string{"10.0.0.1", "10.0.0.2"}},
		{sdk.RecordAAAA, []string{"2001:DB8::1"}, []string{"2001:db8::1"}},
		{sdk.RecordCNAME, []string{"hello.com"}, []string{"hello.com."}},
		{sdk.RecordMX, []string{"10 mail.example.com"}, []string{"10 mail.example.com."}},
		{sdk.RecordSRV, []string{"10 5 5060 sip.example.com"}, []string{"10 5 5060 sip.example.com."}},
		{sdk.RecordTXT, []string{" keep my spaces "}, []string{" keep my spaces "}},
	}
	for _, c := range good {
		got, err := sdk.NormalizeRecordData(c.typ, c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s %q = %q, %v; want %q", c.typ, c.in, got, err, c.want)
		}
	}
	bad := []struct {
		typ string
		in  []string
	}{
		{sdk.RecordA, nil},
		{sdk.RecordA, []string{"10.0.0.300"}},
		{sdk.RecordA, []string{"::1"}},
		{sdk.RecordAAAA, []string{"10.0.0.1"}},
		{sdk.RecordCNAME, []string{"a.com", "b.com"}},
		{sdk.RecordMX, []string{"mail.example.com"}},
		{sdk.RecordMX, []string{"70000 mail.example.com"}},
		{sdk.RecordSRV, []string{"10 5 sip.example.com"}},
		{sdk.RecordA, []string{"10.0.0.1", "10.0.0.1"}},
		{sdk.RecordTXT, []string{"bell\a"}},
	}
	for _, c := range bad {
		if _, err := sdk.NormalizeRecordData(c.typ, c.in); !errors.Is(err, sdk.ErrInvalidArgument) {
			t.Errorf("%s %q: err = %v, want InvalidArgument", c.typ, c.in, err)
		}
	}
}
