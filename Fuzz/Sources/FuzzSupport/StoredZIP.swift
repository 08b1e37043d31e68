/// A ZIP archive of uncompressed ("stored") entries with correct CRC-32s, so that a fuzzer can
/// mutate the XML inside a workbook without every mutation failing the archive's checksums.
public func storedZIP(_ entries: [(path: String, data: [UInt8])]) -> [UInt8] {
    var archive: [UInt8] = []
    var directory: [UInt8] = []
    for (path, data) in entries {
        let name = Array(path.utf8)
        let crc = crc32(data)
        let offset = UInt32(archive.count)
        // Local file header: version 2.0, no flags, method 0 (stored), DOS time 2000-01-01.
        archive += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x2821)
        archive += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        archive += le16(UInt16(name.count)) + le16(0) + name + data
        // Central directory record for the same entry.
        directory += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x2821)
        directory += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        directory += le16(UInt16(name.count)) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset)
        directory += name
    }
    let directoryOffset = UInt32(archive.count)
    archive += directory
    // End of central directory.
    archive += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
    archive += le32(UInt32(directory.count)) + le32(directoryOffset) + le16(0)
    return archive
}

private func le16(_ value: UInt16) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8(value >> 8)]
}

private func le32(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
}

private let crcTable: [UInt32] = (0..<256).map { index in
    var value = UInt32(index)
    for _ in 0..<8 {
        value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
    }
    return value
}

/// The CRC-32 (ISO 3309, as ZIP uses it) of `bytes`.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
    }
    return crc ^ 0xFFFF_FFFF
}
