// zlib through ZIPFoundation's module for it (on Linux; Apple platforms use Compression).
#if canImport(CZlib)
    import CZlib
#endif

/// A check of a ZIP archive's layout, made before ZIPFoundation reads the archive from memory.
///
/// ZIPFoundation's in-memory reader (0.9.20) trusts the offsets an archive states: it seeks to
/// the central directory, to each local header and to each data descriptor wherever they say,
/// and reading past the end of the bytes then traps (`Archive.MemoryFile.readData` forms a
/// negative range), as 64-bit ZIP64 offsets and sizes beyond `Int64.max` do when converted.
/// A damaged or hostile upload must be an error, not a crash, so ``problem(in:)`` walks the
/// same structures the way ZIPFoundation does and reports any offset it would follow past the
/// end. ZIP64 archives are refused outright: they are only needed for parts or archives over
/// 4 GB, far above ``TableReader/maximumInputBytes``, and their 64-bit fields are where most
/// of the traps are.
///
/// On Linux, ZIPFoundation also inflates a deflated entry until the deflate stream ends, whatever
/// the entry's stated size: a stream cut off by the end of the file makes it wait for more input
/// forever. So each deflated entry is inflated here first (output discarded), and one whose
/// stream does not end within the file is damaged. Found by fuzzing (docs/FUZZING.md).
enum ZIPLayout {
    /// Why an archive is refused.
    enum Problem: Equatable {
        /// An offset or size points outside the archive (or there is no end record).
        case damaged
        /// The archive uses ZIP64 extensions.
        case zip64
        /// Its entries decompress to more than ``maximumCheckedBytes`` in all.
        case tooLarge
    }

    /// The most bytes inflated, over all entries, to check that their streams end.
    static let maximumCheckedBytes = XLSXReader.maximumDecompressedBytes

    private static let endOfCentralDirectorySignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let centralDirectorySignature: UInt32 = 0x0201_4B50
    private static let localFileHeaderSignature: UInt32 = 0x0403_4B50
    private static let endOfCentralDirectorySize = 22
    private static let zip64LocatorSize = 20
    private static let centralDirectoryEntrySize = 46
    private static let localFileHeaderSize = 30
    private static let zip64ExtraFieldID: UInt16 = 0x0001

    /// What is wrong with the archive in `bytes` for ZIPFoundation's in-memory reader, or `nil`
    /// when every offset it will follow stays within the bytes.
    static func problem(in bytes: [UInt8]) -> Problem? {
        let count = bytes.count
        // ZIPFoundation uses the end-of-central-directory signature nearest the end.
        var end = count - endOfCentralDirectorySize
        // Bounded by the input's size, at most TableReader.maximumInputBytes.
        while end >= 0 && word(bytes, end) != endOfCentralDirectorySignature {
            end -= 1
        }
        guard end >= 0 else {
            return .damaged
        }
        if end >= zip64LocatorSize && word(bytes, end - zip64LocatorSize) == zip64LocatorSignature {
            return .zip64
        }
        var budget = maximumCheckedBytes
        let entryCount = half(bytes, end + 10)
        var entry = Int(word(bytes, end + 16))
        guard entry <= count else {
            return .damaged
        }
        // At most 65,535 entries, each at least 46 bytes on from the last.
        for _ in 0..<entryCount {
            // Where ZIPFoundation stops iterating (a structure it cannot read), so do we.
            guard entry + centralDirectoryEntrySize <= count, word(bytes, entry) == centralDirectorySignature else {
                return nil
            }
            let nameLength = half(bytes, entry + 28)
            let extraLength = half(bytes, entry + 30)
            let commentLength = half(bytes, entry + 32)
            let next = entry + centralDirectoryEntrySize + nameLength + extraLength + commentLength
            guard next <= count else {
                return nil
            }
            let extraStart = entry + centralDirectoryEntrySize + nameLength
            if bytes[entry + 6] >= 45 || hasZIP64Field(bytes[extraStart..<(extraStart + extraLength)]) {
                return .zip64
            }
            let usesDataDescriptor = half(bytes, entry + 8) & 0x0008 != 0
            let isCompressed = half(bytes, entry + 10) != 0
            let compressedSize = Int(word(bytes, entry + 20))
            let uncompressedSize = Int(word(bytes, entry + 24))
            let header = Int(word(bytes, entry + 42))
            guard header <= count else {
                return .damaged
            }
            guard header + localFileHeaderSize <= count, word(bytes, header) == localFileHeaderSignature else {
                return nil
            }
            let dataStart = header + localFileHeaderSize + half(bytes, header + 26) + half(bytes, header + 28)
            guard dataStart <= count else {
                return nil
            }
            // The data descriptor follows the data, whose size the central directory gives.
            if usesDataDescriptor && dataStart + (isCompressed ? compressedSize : uncompressedSize) > count {
                return .damaged
            }
            // ZIPFoundation goes by the local header's compression method.
            if half(bytes, header + 8) == 8, let problem = deflateProblem(bytes, from: dataStart, budget: &budget) {
                return problem
            }
            entry = next
        }
        return nil
    }

    #if canImport(CZlib)
        /// Whether the deflate stream from `start` on fails to end before the bytes do (the stream
        /// ZIPFoundation would wait on forever), inflating at most `budget` bytes (less what this
        /// entry produced on return). A data error or an output past the budget is no problem:
        /// ZIPFoundation stops on either.
        private static func deflateProblem(_ bytes: [UInt8], from start: Int, budget: inout Int) -> Problem? {
            guard budget > 0 else {
                return .tooLarge
            }
            var stream = z_stream()
            guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                return .damaged
            }
            defer { inflateEnd(&stream) }
            var output = [UInt8](repeating: 0, count: 64 * 1024)
            return bytes.withUnsafeBufferPointer { input -> Problem? in
                guard let base = input.baseAddress else {
                    return .damaged
                }
                stream.next_in = UnsafeMutablePointer(mutating: base + start)
                stream.avail_in = UInt32(input.count - start)
                // Each round produces output or consumes input (else it stops), and the output
                // is bounded by the budget and the input by the bytes.
                while true {
                    let result = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                        stream.next_out = buffer.baseAddress
                        stream.avail_out = UInt32(buffer.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    budget -= output.count - Int(stream.avail_out)
                    switch result {
                    case Z_STREAM_END, Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR:
                        return nil
                    case Z_OK where budget >= 0:
                        continue
                    case Z_OK:
                        return .tooLarge
                    default:
                        // Z_BUF_ERROR: no progress possible, the input is used up.
                        return .damaged
                    }
                }
            }
        }
    #else
        /// Elsewhere ZIPFoundation inflates through Apple's Compression, bounded by the entry's size.
        private static func deflateProblem(_ bytes: [UInt8], from start: Int, budget: inout Int) -> Problem? {
            nil
        }
    #endif

    /// Whether an extra field holds a ZIP64 record, walked as ZIPFoundation walks it.
    private static func hasZIP64Field(_ extra: ArraySlice<UInt8>) -> Bool {
        var offset = extra.startIndex
        // Each step moves on by at least the 4-byte header.
        while offset < extra.endIndex - 4 {
            let id = UInt16(extra[offset]) | UInt16(extra[offset + 1]) << 8
            let size = Int(extra[offset + 2]) | Int(extra[offset + 3]) << 8
            let next = offset + 4 + size
            guard next <= extra.endIndex else {
                return false
            }
            if id == zip64ExtraFieldID {
                return true
            }
            offset = next
        }
        return false
    }

    /// The little-endian 16-bit value at `offset`.
    private static func half(_ bytes: [UInt8], _ offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }

    /// The little-endian 32-bit value at `offset`.
    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }
}
