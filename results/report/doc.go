// Package report renders a comparison of branchspec runs as one
// self-contained HTML file: every figure is inlined as a base64 PNG and
// the styles are inline, so the file needs nothing else to be read and
// can be mailed. The package only lays out what it is given (tables of
// text and PNG figures); computing them is the caller's job.
//
// Boundaries: report owns the HTML page of a report, whose content
// experiments lays out; it must never import another branchspec package.
package report
