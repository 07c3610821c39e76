// Package telegram connects a Telegram bot to Couture through the Bot API
// (https://core.telegram.org/bots/api), over net/http.
//
// # Receiving
//
// Sync removes any webhook (deleteWebhook), then long-polls getUpdates. The
// offset (last update_id + 1) is the account's cursor: it is saved only by
// Sink.Commit, in the same transaction as the messages, and only then sent
// back to Telegram, which is what confirms the updates. A crash between the
// two repeats a batch; the store's external-id index ("<chat_id>/<message_id>")
// makes the repeat harmless.
//
// Private chats become customer messages: the party is the sender's
// numeric user id (inbox.KindTelegram), the display name their first and
// last name. Texts, captions, photos (the largest size), documents and
// other files (video, voice, audio, stickers…) are stored through
// Deps.Blobs after getFile and a download. Bots may download files of up to
// 20 MB only: a bigger file arrives as a message whose Warning says so. A
// contact card the sender shares of themselves (contact.user_id equals
// from.id) carries their phone number, proved by Telegram: it is linked to
// the customer as an exact phone identity, so an SMS or WhatsApp customer
// with that number becomes the same person. A contact of somebody else is
// only a message. Messages from groups, supergroups and bots go to the
// "Other" view and never create customers.
//
// # Errors
//
// 401 (and 404, a malformed token) is inbox.Auth; 409 is inbox.Conflict
// ("another program is polling this bot…"), since Telegram serves one
// poller per token; 429 is *channels.RetryAfter with the parameters.retry_after
// Telegram gave; 5xx and network failures are inbox.Unavailable, which the
// Engine retries with backoff.
//
// # Sending
//
// Send calls sendMessage with the customer's user id as chat_id, as plain
// text (no parse_mode: a Markdown answer is sent as its source text). A
// text over 4096 UTF-16 code units is refused with inbox.Invalid before any
// call. Attachments follow the text, one message each, uploaded from the
// blob store as multipart/form-data: JPEG and PNG images sendPhoto takes
// (at most 10 MB) by sendPhoto, anything else by sendDocument (bots send
// files of up to 50 MB, inbox.MaxTelegramFile); a single file takes a short
// text (MaxCaption) as its caption. Send is not idempotent: the Bot API has
// no request id, so a send whose answer was lost cannot be checked and must
// be marked uncertain, as is an answer of which a part already arrived.
//
// # What the Bot API does not allow
//
//   - A bot cannot write first: sendMessage to a person who never wrote to
//     the bot fails with "chat not found".
//   - A bot cannot read history: getUpdates only serves updates of the last
//     24 hours not yet confirmed, so messages older than that, or sent while
//     another program consumed the updates, are lost to Couture.
//   - A bot sees a person's phone number only if they share their own
//     contact; otherwise Telegram and phone identities link only by a
//     person's decision.
//   - Files over 20 MB cannot be downloaded by bots.
//   - Edited messages, reactions and deletions are not synced; the first
//     version of a message stays on the timeline.
package telegram
