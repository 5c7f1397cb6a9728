/*
 * crc32c.h -- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of the order journal's records.
 *
 * Castagnoli rather than zlib's CRC-32: it detects more error patterns in
 * the record sizes the journal writes, it is what iSCSI, ext4 metadata and
 * leveldb/rocksdb logs use, and x86-64 has an instruction for it (SSE4.2,
 * used when the CPU has it; a table otherwise). No dependency, pure.
 */
#ifndef FB_CRC32C_H
#define FB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Continues a CRC over len more bytes: start with crc = 0, and feed the
 * previous result to checksum data given in pieces:
 *     fb_crc32c(fb_crc32c(0, a, na), b, nb) == fb_crc32c(0, ab, na + nb)
 * fb_crc32c(0, "123456789", 9) == 0xE3069283.
 */
uint32_t fb_crc32c(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
