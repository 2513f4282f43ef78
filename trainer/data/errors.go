package data

import "errors"

// Errors returned while reading dataset files. Each is wrapped with the path
// of the file at fault: fmt.Errorf("data: %s: %w", path, err).
var (
	// ErrTruncated is returned when a file holds fewer bytes than its
	// records or its header require.
	ErrTruncated = errors.New("truncated file")
	// ErrTrailingData is returned when an IDX file holds more bytes than its
	// header declares.
	ErrTrailingData = errors.New("trailing data after the declared items")
	// ErrBadMagic is returned when an IDX file does not start with the magic
	// number of its kind (0x00000803 images, 0x00000801 labels).
	ErrBadMagic = errors.New("wrong IDX magic number")
	// ErrLabelRange is returned when a label is not below the class count.
	ErrLabelRange = errors.New("label out of range")
	// ErrCountMismatch is returned when an image file and its label file
	// hold different numbers of items.
	ErrCountMismatch = errors.New("image and label counts differ")
	// ErrShape is returned when the test images' shape differs from the
	// training images'.
	ErrShape = errors.New("image shape differs between train and test")
	// ErrTooFew is returned when more examples are requested than the files
	// hold.
	ErrTooFew = errors.New("fewer examples than requested")
)

// Errors returned by LoadFolder, each wrapped with the path at fault.
var (
	// ErrNoClasses is returned when ROOT/train has no class folders.
	ErrNoClasses = errors.New("no class folders")
	// ErrEmptyClass is returned when a class folder holds no image file.
	ErrEmptyClass = errors.New("class folder holds no images")
	// ErrClassMismatch is returned when a class folder of one split has no
	// counterpart in the other.
	ErrClassMismatch = errors.New("train and test classes differ")
	// ErrDecode is returned when an image file cannot be decoded.
	ErrDecode = errors.New("undecodable image")
	// ErrImageSize is returned when an image's size differs from the
	// expected one and no resize was asked for.
	ErrImageSize = errors.New("wrong image size")
)

// ErrOptions is returned by Synthetic when an option is out of range.
var ErrOptions = errors.New("data: invalid synthetic options")
