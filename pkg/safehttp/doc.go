// Package safehttp fetches from hosts that may be hostile: a portal's file
// host, or a man in the middle.
//
// An [AllowList] says which origins may be reached, and is checked twice:
// on every URL (the first and every redirect hop: scheme, host and port),
// and when connecting, on the address actually dialled (so a name that
// resolves to the cloud metadata service, a loopback port or a private
// network is refused, even if its DNS answer changes between a check and
// the connection). No proxy from the environment is used.
//
// A [Downloader] adds limits: a maximum size (a larger Content-Length is
// refused before reading, a longer body is cut), a response-header
// timeout, a minimum transfer rate, and the context's deadline. It streams
// the body to memory (small files) or an unlinked temporary file,
// computing its SHA-256 on the way, and records the redirects it followed.
// Every failure is an [*Error] whose [Kind] says whether retrying can help.
//
// Redirects are followed (up to [Config.MaxRedirects]) when they stay in
// the allow-list: object stores and CDNs redirect within themselves (to
// https, to a regional name, to a signed URL). A step down from https to
// http needs an entry that names http:// explicitly.
//
// [NewTransport] gives other clients (the portal's) the same connection
// checks.
package safehttp
