/*
 * wav_strict.h - a strict RIFF/RF64 WAVE reader for the recorder tests,
 * written from the format specifications (Microsoft RIFF, EBU Tech 3306
 * for RF64/ds64, EBU Tech 3285 for bext), independent of libsndfile:
 * every chunk inside the file, fmt consistent with itself, data whole
 * frames, sizes in the RIFF header or ds64 describing the file.
 *
 * Threads: test programs only; plain stdio.
 */
#ifndef JMX_WAV_STRICT_H
#define JMX_WAV_STRICT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct wav {
	char why[160];
	int rf64;
	unsigned tag, channels, rate, bits, align;
	uint64_t data_off, data_bytes, riff_size, file_size;
	int have_bext;
	unsigned char bext[1024];
	unsigned bext_len;
};

static inline uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A strict reader: every chunk inside the file, sizes consistent with the
 * fmt chunk; closed = the RIFF/ds64 sizes must describe the file exactly
 * (a file copied or killed mid-take may hold more audio than its header
 * says, never less).  0, or -1 with the reason in w->why. */
static inline int wav_strict(const char *path, struct wav *w, int closed)
{
	memset(w, 0, sizeof *w);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(w->why, sizeof w->why, "cannot open");
		return -1;
	}
	fseek(f, 0, SEEK_END);
	w->file_size = (uint64_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char h[12], ch[8];
	uint64_t ds64_riff = 0, ds64_data = 0;
	int have_fmt = 0, have_data = 0, have_ds64 = 0;
	if (fread(h, 1, 12, f) != 12 || memcmp(h + 8, "WAVE", 4)) {
		snprintf(w->why, sizeof w->why, "no RIFF/RF64 WAVE header");
		goto bad;
	}
	if (!memcmp(h, "RF64", 4)) {
		w->rf64 = 1;
		if (le32(h + 4) != 0xFFFFFFFFu) {
			snprintf(w->why, sizeof w->why, "RF64 size field not -1");
			goto bad;
		}
	} else if (!memcmp(h, "RIFF", 4)) {
		w->riff_size = le32(h + 4);
	} else {
		snprintf(w->why, sizeof w->why, "not RIFF");
		goto bad;
	}
	uint64_t pos = 12;
	while (pos + 8 <= w->file_size) {
		if (fread(ch, 1, 8, f) != 8)
			break;
		uint64_t size = le32(ch + 4);
		for (int i = 0; i < 4; i++)
			if (ch[i] < 32 || ch[i] > 126) {
				snprintf(w->why, sizeof w->why, "garbage chunk id at %llu",
				         (unsigned long long)pos);
				goto bad;
			}
		if (!memcmp(ch, "ds64", 4)) {
			unsigned char d[28];
			if (pos != 12 || size < 28 || fread(d, 1, 28, f) != 28) {
				snprintf(w->why, sizeof w->why, "bad ds64");
				goto bad;
			}
			ds64_riff = le64(d);
			ds64_data = le64(d + 8);
			have_ds64 = 1;
		} else if (!memcmp(ch, "fmt ", 4)) {
			unsigned char d[40];
			if (size < 16 || size > 40 || fread(d, 1, size, f) != size) {
				snprintf(w->why, sizeof w->why, "bad fmt size %llu",
				         (unsigned long long)size);
				goto bad;
			}
			w->tag = d[0] | d[1] << 8;
			w->channels = d[2] | d[3] << 8;
			w->rate = le32(d + 4);
			uint32_t byterate = le32(d + 8);
			w->align = d[12] | d[13] << 8;
			w->bits = d[14] | d[15] << 8;
			if (w->tag == 0xFFFE && size >= 40)
				w->tag = d[24] | d[25] << 8; /* sub-format GUID's first word */
			if (w->align != w->channels * ((w->bits + 7) / 8) || byterate != w->rate * w->align ||
			    (w->tag != 1 && w->tag != 3)) {
				snprintf(w->why, sizeof w->why, "inconsistent fmt: tag %u align %u bits %u",
				         w->tag, w->align, w->bits);
				goto bad;
			}
			have_fmt = 1;
		} else if (!memcmp(ch, "bext", 4)) {
			w->bext_len = size < sizeof w->bext ? (unsigned)size : sizeof w->bext;
			if (fread(w->bext, 1, w->bext_len, f) != w->bext_len) {
				snprintf(w->why, sizeof w->why, "short bext");
				goto bad;
			}
			w->have_bext = 1;
		} else if (!memcmp(ch, "data", 4)) {
			if (!have_fmt) {
				snprintf(w->why, sizeof w->why, "data before fmt");
				goto bad;
			}
			w->data_off = pos + 8;
			w->data_bytes = size == 0xFFFFFFFFu && have_ds64 ? ds64_data : size;
			if (w->rf64 && size != 0xFFFFFFFFu) {
				snprintf(w->why, sizeof w->why, "RF64 data size not -1");
				goto bad;
			}
			size = w->data_bytes;
			have_data = 1;
			if (!closed)
				break; /* an open take: the audio runs on past the header's size */
		}
		uint64_t next = pos + 8 + size + (size & 1);
		if (next > w->file_size) {
			if (!closed && have_data && w->data_off + w->data_bytes <= w->file_size)
				break;
			snprintf(w->why, sizeof w->why, "chunk %.4s runs past the end of the file",
			         (char *)ch);
			goto bad;
		}
		pos = next;
		fseek(f, (long)pos, SEEK_SET);
	}
	fclose(f);
	if (!closed && have_data)
		pos = w->file_size;
	if (!have_fmt || !have_data) {
		snprintf(w->why, sizeof w->why, "missing fmt or data");
		return -1;
	}
	if (w->data_bytes % w->align) {
		snprintf(w->why, sizeof w->why, "data size %llu not whole frames",
		         (unsigned long long)w->data_bytes);
		return -1;
	}
	if (w->rf64)
		w->riff_size = ds64_riff;
	if (w->data_off + w->data_bytes > w->file_size) {
		snprintf(w->why, sizeof w->why, "header claims more audio than the file holds");
		return -1;
	}
	if (closed && (w->riff_size != w->file_size - 8 || pos != w->file_size)) {
		snprintf(w->why, sizeof w->why, "RIFF size %llu for a %llu-byte file",
		         (unsigned long long)w->riff_size, (unsigned long long)w->file_size);
		return -1;
	}
	return 0;
bad:
	fclose(f);
	return -1;
}

/* bext fields by offset (EBU Tech 3285 v2): loudness values x 100. */
static inline int16_t wav_bext_i16(const struct wav *w, unsigned off)
{
	return (int16_t)(w->bext[off] | w->bext[off + 1] << 8);
}

#define BEXT_ORIGINATOR 256
#define BEXT_DATE       320
#define BEXT_TIME       330
#define BEXT_TIMEREF    338
#define BEXT_VERSION    346
#define BEXT_LOUDNESS   412
#define BEXT_LRA        414
#define BEXT_TP         416
#define BEXT_MAX_M      418
#define BEXT_MAX_S      420
#define BEXT_HISTORY    602

#endif
