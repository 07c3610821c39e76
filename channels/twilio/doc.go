// Package twilio connects an SMS number and, optionally, a WhatsApp sender
// hosted at Twilio to Couture, through Twilio's REST API (2010-04-01) over
// net/http: one account, two channels, one phone identity per person.
//
// # Receiving
//
// A desktop app has no public URL for Twilio's webhooks, so Sync polls
// Messages.json filtered by To (the SMS number, and whatsapp:+number for
// WhatsApp) and DateSent. The filter has day granularity (GMT), so each poll
// reads from yesterday on, follows next_page_uri, and skips the SIDs it has
// already committed. The cursor (JSON) holds the first day not known
// complete and those SIDs; it is saved by Sink.Commit with each batch, so a
// crash repeats at most one batch, which the store's external-id index (the
// SID) makes harmless. Between full sweeps (at each Sync start and every
// ten minutes) a poll pages only until it reaches the newest message
// already committed, less a 15-minute overlap: Twilio lists newest first.
// A first sync reads Options.Backfill days of history
// (30), one day per request series, and the cursor moves day by day; after
// days offline, a sync resumes from the last complete day, not from
// yesterday.
//
// Inbound messages (direction "inbound", status received) become messages
// of channel sms or whatsapp (from the whatsapp: prefix) whose party is the
// sender's E.164 number (inbox.KindPhone): the same person writing by SMS
// and by WhatsApp is one customer. Media (NumMedia > 0) are listed with the
// Media subresource, downloaded (Twilio redirects to its CDN) and stored
// through Deps.Blobs. A sender that is not a phone number (a short code, an
// alphanumeric id) goes to the Other view.
//
// # Sending
//
// Send creates a Message (To, From, Body; whatsapp: on both for WhatsApp)
// and returns Receipt{ExternalID: SID, State: sent}: Twilio's queued,
// accepted and sending all mean the message has left Couture. Statuses
// (and Deliveries, with the reasons of failures) polls the delivery state
// of sent messages (delivered, read, failed, undelivered) for the Outbox to
// record: a desktop app cannot receive StatusCallback requests either. Before a WhatsApp freeform message, Send
// checks the 24-hour customer-service window (the customer's last WhatsApp
// message) and refuses with inbox.Invalid outside it; Twilio's own 63016
// failure gets the same explanation.
//
// # Errors
//
// HTTP 429 / error 20429 is *channels.RetryAfter with Retry-After; 401 /
// 20003 is inbox.Auth; 21211 (invalid number), 21610 (unsubscribed), 21617
// (too long), 63016 (outside the WhatsApp window) and other 4xx are
// inbox.Invalid with a sentence a person can act on; 5xx and network
// failures are inbox.Unavailable. Send is not idempotent: the 2010 API
// takes no idempotency key, so a create whose answer was lost is uncertain.
//
// # What Twilio's API does not allow
//
//   - No push without a public URL: new messages arrive with the polling
//     interval's delay (Options.PollInterval, 10 s by default).
//   - No files from Couture: Twilio takes media only as a MediaUrl it
//     fetches itself, and a desktop app has no public URL to offer. An
//     answer with attachments is refused (inbox.TwilioAttachmentRefusal);
//     the Desk refuses it before queueing, the composer before sending.
//   - SMS carries no sender name: a new customer is named by their number.
//     WhatsApp profile names are only in webhook requests, not in the REST
//     Message resource.
//   - WhatsApp allows freeform answers only within 24 hours of the
//     customer's last message; outside it only approved templates
//     (whatsapp_template), which this channel does not send.
//   - Message bodies are limited to 1600 characters; SMS is split into
//     segments of 153 GSM-7 or 67 UCS-2 characters.
//   - Messages sent to the number from outside Couture (the console, other
//     apps) are not imported: only inbound messages are read.
//   - Twilio keeps message records for a limited time (400 days) and media
//     may be deleted by the account: older history cannot be backfilled.
package twilio
