package loadtest

import (
	"context"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond}, // nearest rank: ceil(0.5×4) = 2nd
		{ms(1, 2, 3, 4), 0.95, 4 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10 * time.Millisecond},
		{ms(1, 2, 3), 0, time.Millisecond},
	}
	for _, tc := range cases {
		if got := quantile(tc.in, tc.q); got != tc.want {
			t.Errorf("quantile(%v, %v) = %v, want %v", tc.in, tc.q, got, tc.want)
		}
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{BaseURL: "http://127.0.0.1:1", Clients: 0, Duration: time.Second},
		{BaseURL: "http://127.0.0.1:1", Clients: 2, Writers: 3, Duration: time.Second},
		{BaseURL: "http://127.0.0.1:1", Clients: 2, Writers: -1, Duration: time.Second},
		{BaseURL: "http://127.0.0.1:1", Clients: 2},
	} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("Run(%+v) accepted", o)
		}
	}
	// Nothing listens on port 1: the run cannot be prepared.
	if _, err := Run(context.Background(), Options{BaseURL: "http://127.0.0.1:1", Clients: 1, Duration: time.Second}); err == nil {
		t.Error("Run against no server succeeded")
	}
}
