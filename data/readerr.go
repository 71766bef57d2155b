package data

import (
	"errors"
	"fmt"

	"github.com/lifecircle/lifecircle/data/infile"
)

// readInputError words an error reading an input layer: a path that is
// not a regular file says so and what to give; others are "read …".
func readInputError(err error) error {
	var nr *infile.NotRegularError
	if errors.As(err, &nr) {
		return err
	}
	return fmt.Errorf("read %w", err)
}
