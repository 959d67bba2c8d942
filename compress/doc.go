// Package compress gives a server what it needs to send every text file
// compressed while compressing each file once: content negotiation by
// Accept-Encoding (Negotiate), the rule of which types gain from it
// (Compressible), a strong ETag per representation (ETag), and Cache, which
// holds the encoded forms of files by content hash, in memory under a byte
// budget and on disk in the user's cache folder, makes them under a bound
// on the memory of the compressions under way (a request that finds it
// taken waits briefly, then goes without), and warms them in the
// background at low priority.
//
// It knows nothing of HTTP handlers or of sites: serve calls it with a file's
// hash and a way to read the file's bytes.
package compress
