// Package email reads and writes Internet mail for Couture: it turns an RFC
// 5322 message into an inbox.Incoming (Parser), folds quoted history and
// signatures away from the new text (Fold), reads and writes mbox files and
// Maildir folders (ReadMbox, WriteMbox, ReadMaildir) and composes a minimal
// message for entries that never were e-mail (Compose).
//
// Parsing never gives up on a message: malformed headers, unknown charsets
// and broken or truncated MIME structures degrade into a best-effort
// Incoming whose Message.Warning says what went wrong, and the raw message
// is always stored as a blob so nothing is lost. The IMAP sync and the CLI's
// import and export commands are built on this package.
package email
