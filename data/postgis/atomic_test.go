package postgis

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// TestImportCancelledMidway cancels an import's context inside its
// transaction, after the network COPY and after the features COPY: the
// project is exactly as before, for a new project and for a re-import.
func TestImportCancelledMidway(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	base := helsinki(t)
	small := *base
	small.Name = "cancel_me"
	small.Buildings = base.Buildings[:10]
	small.Facilities = base.Facilities[:5]

	for _, table := range []string{"network_ways", "features"} {
		t.Run(table, func(t *testing.T) {
			// A new project: nothing may remain.
			p := *base
			p.Name = "cancel_new_" + table
			cctx, cancel := context.WithCancel(ctx)
			s.afterCopy = func(c context.Context, tbl string) error {
				if tbl == table {
					cancel()
					return c.Err()
				}
				return nil
			}
			_, err := s.Import(cctx, &p)
			s.afterCopy = nil
			if err == nil || !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled import returned %v", err)
			}
			if _, err := s.LoadProject(ctx, p.Name); !errors.Is(err, ErrNotFound) {
				t.Errorf("a cancelled first import left the project behind: %v", err)
			}

			// A re-import: the old project stays as it was.
			if _, err := s.Import(ctx, &small); err != nil {
				t.Fatal(err)
			}
			before, err := s.LoadProject(ctx, small.Name)
			if err != nil {
				t.Fatal(err)
			}
			big := *base
			big.Name = small.Name
			cctx, cancel = context.WithCancel(ctx)
			s.afterCopy = func(c context.Context, tbl string) error {
				if tbl == table {
					cancel()
					return c.Err()
				}
				return nil
			}
			_, err = s.Import(cctx, &big)
			s.afterCopy = nil
			if err == nil {
				t.Fatal("cancelled re-import succeeded")
			}
			after, err := s.LoadProject(ctx, small.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(before, after) {
				t.Errorf("a cancelled re-import changed the project: %d→%d buildings, %d→%d facilities",
					len(before.Buildings), len(after.Buildings), len(before.Facilities), len(after.Facilities))
			}
		})
	}
	var orphans int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM lifecircle.features f WHERE NOT EXISTS (SELECT 1 FROM lifecircle.layers l WHERE l.id = f.layer)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("%d orphan features (%v)", orphans, err)
	}
}

// TestConcurrentImportsAndReaders imports two projects at once while
// readers load a third that is being re-imported: no errors, and every
// read sees one complete version.
func TestConcurrentImportsAndReaders(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	base := helsinki(t)
	v1 := *base
	v1.Name = "conc_read"
	v1.Buildings = base.Buildings[:100]
	if _, err := s.Import(ctx, &v1); err != nil {
		t.Fatal(err)
	}
	v2 := *base
	v2.Name = "conc_read"

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 2; i++ {
		p := *base
		p.Name = fmt.Sprintf("conc_%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 3; k++ {
				if _, err := s.Import(ctx, &p); err != nil {
					errs <- fmt.Errorf("import %s: %w", p.Name, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; k < 3; k++ {
			pv := &v2
			if k%2 == 1 {
				pv = &v1
			}
			if _, err := s.Import(ctx, pv); err != nil {
				errs <- fmt.Errorf("re-import conc_read: %w", err)
				return
			}
		}
	}()
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				p, err := s.LoadProject(ctx, "conc_read")
				if err != nil {
					errs <- fmt.Errorf("read conc_read: %w", err)
					return
				}
				if n := len(p.Buildings); n != 100 && n != len(base.Buildings) {
					errs <- fmt.Errorf("a reader saw %d buildings: a half-written import (want 100 or %d)", n, len(base.Buildings))
				}
				if len(p.Network.Ways) != len(base.Network.Ways) {
					errs <- fmt.Errorf("a reader saw %d network ways, want %d", len(p.Network.Ways), len(base.Network.Ways))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 0; i < 2; i++ {
		p, err := s.LoadProject(ctx, fmt.Sprintf("conc_%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Buildings) != len(base.Buildings) || len(p.Facilities) != len(base.Facilities) {
			t.Errorf("conc_%d: %d buildings, %d facilities after concurrent imports", i, len(p.Buildings), len(p.Facilities))
		}
	}
}
