// Package infile opens the files lifecircle reads (layers, profiles,
// project files, output folders' files) only when they are regular files:
// a symbolic link to /dev/zero, a named pipe or a device would otherwise
// be read forever or block forever (issue 16, item 8). Every reader of
// input files goes through it; it imports nothing of lifecircle, so the
// format packages (data/shp, data/gpkg, data/xlsx) can use it too. It
// imports only the standard library.
package infile
