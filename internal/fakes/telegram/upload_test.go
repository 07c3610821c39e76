package telegram

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// upload posts a multipart/form-data request: fields, then one file in
// field fileField.
func upload(t *testing.T, s *Server, method string, fields map[string]string, fileField, name string, data []byte) (int, answer) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if fileField != "" {
		w, _ := mw.CreateFormFile(fileField, name)
		w.Write(data)
	}
	mw.Close()
	resp, err := http.Post(s.URL+"/bot"+token+"/"+method, mw.FormDataContentType(), &body)
	return answerOf(t, method, resp, err)
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUploads(t *testing.T) {
	s := New(token)
	defer s.Close()
	anna := User{ID: 1001, FirstName: "Anna"}
	s.SendText(anna, "hello")
	chat := map[string]string{"chat_id": "1001"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"chat_id": "1001"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	pdf := []byte("%PDF-1.7 quote")

	// A document arrives with its name, type and bytes; getFile serves it.
	status, a := upload(t, s, "sendDocument", with(map[string]string{"caption": "Your quote"}), "document", "Devis été.pdf", pdf)
	if status != 200 || !a.OK {
		t.Fatalf("sendDocument: %d %+v", status, a)
	}
	var m Message
	json.Unmarshal(a.Result, &m)
	if m.Document == nil || m.Document.FileName != "Devis été.pdf" || m.Document.MimeType != "application/pdf" ||
		m.Document.FileSize != int64(len(pdf)) || m.Caption != "Your quote" || m.Chat.ID != 1001 {
		t.Fatalf("message %+v (document %+v)", m, m.Document)
	}
	status, a = call(t, s, token, "getFile", map[string][]string{"file_id": {m.Document.FileID}})
	var f File
	json.Unmarshal(a.Result, &f)
	resp, err := http.Get(s.URL + "/file/bot" + token + "/" + f.FilePath)
	if status != 200 || err != nil {
		t.Fatalf("getFile %d, download %v", status, err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, pdf) {
		t.Errorf("downloaded %q", got)
	}

	// attach://name refers to another field.
	if status, a := upload(t, s, "sendDocument", with(map[string]string{"document": "attach://file0"}), "file0", "a.txt", []byte("x")); status != 200 || !a.OK {
		t.Errorf("attach://: %d %+v", status, a)
	}
	// A photo comes back in sizes, the largest holding the bytes.
	img := pngOf(t, 40, 30)
	status, a = upload(t, s, "sendPhoto", chat, "photo", "p.png", img)
	json.Unmarshal(a.Result, &m)
	if status != 200 || len(m.Photo) != 3 || m.Photo[2].FileSize != int64(len(img)) {
		t.Errorf("sendPhoto: %d %+v", status, m)
	}
	sent := s.Sent()
	if len(sent) != 3 || sent[0].Method != "sendDocument" || !bytes.Equal(sent[0].Data, pdf) || sent[2].Method != "sendPhoto" || !bytes.Equal(sent[2].Data, img) {
		t.Errorf("Sent() = %d entries", len(sent))
	}

	errorsTests := []struct {
		name, method, field, file string
		fields                    map[string]string
		data                      []byte
		status                    int
		desc                      string
	}{
		{"no file", "sendDocument", "", "", chat, nil, 400, "there is no document in the request"},
		{"caption too long", "sendDocument", "document", "a.pdf", with(map[string]string{"caption": strings.Repeat("x", MaxCaption+1)}), pdf, 400, "message caption is too long"},
		{"unknown chat", "sendDocument", "document", "a.pdf", map[string]string{"chat_id": "77"}, pdf, 400, "chat not found"},
		{"not an image", "sendPhoto", "photo", "a.png", chat, pdf, 400, "IMAGE_PROCESS_FAILED"},
		{"too wide", "sendPhoto", "photo", "a.png", chat, pngOf(t, 2100, 100), 400, "PHOTO_INVALID_DIMENSIONS"},
		{"over 50 MB", "sendDocument", "document", "big.bin", chat, make([]byte, MaxUpload+1), 413, "Request Entity Too Large"},
	}
	for _, tc := range errorsTests {
		t.Run(tc.name, func(t *testing.T) {
			status, a := upload(t, s, tc.method, tc.fields, tc.field, tc.file, tc.data)
			if status != tc.status || a.OK || a.ErrorCode != tc.status || !strings.Contains(a.Description, tc.desc) {
				t.Errorf("%d %+v, want %d %q", status, a, tc.status, tc.desc)
			}
		})
	}
}
