// Package matrix is Couture's Matrix channel: one business user on a
// homeserver, whose direct rooms are conversations with customers. It speaks
// the client-server API (spec v1.11) with net/http.
//
// The homeserver URL comes from the account settings (default
// https://<server name>; .well-known discovery is not done). Login is
// m.login.password with a fixed device id per account (DeviceID),
// the access token is kept in memory only and renewed by logging in again
// when the server answers 401 M_UNKNOWN_TOKEN. A refused password is an
// inbox.Auth error; 429 M_LIMIT_EXCEEDED is a *channels.RetryAfter carrying
// retry_after_ms. Channels of one account in one process share the token
// (a login with a device id revokes that device's previous token); two
// processes on one account would revoke each other's, which the store's
// single-process lock rules out.
//
// Sync long-polls /sync with an inline filter (room timelines, member state,
// invites) from the saved next_batch, which is committed only together with
// the messages it produced (channels.Sink.Commit). Invites from users are
// joined; a room with exactly one other member is a conversation with that
// user (Identity{matrix, @user:server}); a room with more is a group, whose
// messages go to the Other view and never create customers. The business
// user's own events from another client become outbound messages; the echoes
// of Couture's own sends (marked io.couture.txn) are skipped, they are on the
// timeline already. A limited timeline is backfilled with /messages down to
// the previous cursor, a room just joined down to its first event (at most
// 10,000 events per room and sync). Every invite from another user is
// accepted, since not every client sets is_direct; a group room it leads to
// lands in Other.
//
// Supported content: m.text, m.notice, m.emote, m.location (body and geo
// URI), m.image, m.file, m.video, m.audio and m.sticker (downloaded through
// authenticated media into the blob store, up to MaxAttachment; larger ones
// keep a warning), replies (the quoted fallback is removed). The HTML
// formatted_body is ignored: body is the plain-text fallback every event
// carries, and Couture shows no remote content. Edits arrive as new messages
// ("* new text", the spec's fallback); redactions, reactions, read receipts
// and typing are not shown. End-to-end encrypted rooms are not supported:
// their messages appear as "(encrypted message)" with a warning.
//
// Send puts m.room.message into the direct room with the customer (creating
// it with is_direct and an invite when there is none, and recording it in
// m.direct); Markdown in the answer is rendered into formatted_body. Events
// are limited to MaxEventBytes (inbox.Invalid beyond). Attachments are
// uploaded to the media repository (POST /_matrix/media/v3/upload) and
// follow as m.image or m.file events, one a file, each with its own
// transaction id. The transaction id
// comes from the Couture message (TxnID), and the content carries it too, so
// Delivered can tell after a crash whether the message left, even when the
// server's transaction cache (per access token in Dendrite) was lost.
package matrix
