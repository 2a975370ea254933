import Foundation

/// Reads what ``ByteWriter`` wrote, checking every length against the bytes left: truncated or
/// corrupt input throws ``JourneyStoreError/corrupt(_:)`` with the offset, never traps.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    private var interned: [String] = []
    /// What is being decoded, for error messages (`"CustomerState"`).
    let subject: String

    /// The format byte the record started with (``StoreRecordFormat``).
    let format: UInt8

    init(_ bytes: UnsafeRawBufferPointer, subject: String, format: UInt8 = StoreRecordFormat.binaryV1) {
        self.bytes = bytes
        self.subject = subject
        self.format = format
    }

    var remaining: Int { bytes.count - offset }

    func corrupt(_ problem: String) -> JourneyStoreError {
        .corrupt("\(subject): \(problem) at byte \(offset) of \(bytes.count)")
    }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw corrupt("truncated (1 more byte needed)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() throws -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other:
            offset -= 1
            throw corrupt("invalid boolean 0x\(String(other, radix: 16))")
        }
    }

    mutating func unsigned() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte()
            if shift == 63 && byte > 1 { throw corrupt("varint longer than 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A count or length: at most the bytes left (every element takes at least one byte), so a
    /// corrupt length can neither allocate wildly nor read past the end.
    mutating func count() throws -> Int {
        let start = offset
        let value = try unsigned()
        guard value <= UInt64(remaining) else {
            offset = start
            throw corrupt("length \(value) exceeds the \(remaining) bytes left")
        }
        return Int(value)
    }

    mutating func int() throws -> Int {
        let value = try unsigned()
        return Int(truncatingIfNeeded: Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1))))
    }

    mutating func double() throws -> Double {
        guard remaining >= 8 else { throw corrupt("truncated (8 bytes of a number needed, \(remaining) left)") }
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        offset += 8
        return Double(bitPattern: bits)
    }

    mutating func string() throws -> String {
        let start = offset
        let header = try unsigned()
        if header & 1 == 1 {
            let index = header >> 1
            guard index < UInt64(interned.count) else {
                offset = start
                throw corrupt("string reference \(index) with only \(interned.count) strings seen")
            }
            return interned[Int(index)]
        }
        let length = header >> 1
        guard length <= UInt64(remaining) else {
            offset = start
            throw corrupt("string length \(length) exceeds the \(remaining) bytes left")
        }
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
        guard let value = String(validating: utf8.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw corrupt("invalid UTF-8 in a string")
        }
        offset += Int(length)
        if length >= UInt64(ByteWriter.internedLength) { interned.append(value) }
        return value
    }

    mutating func optional<T>(_ read: (inout ByteReader) throws -> T) throws -> T? {
        switch try byte() {
        case 0: return nil
        case 1: return try read(&self)
        case let other:
            offset -= 1
            throw corrupt("invalid optional marker 0x\(String(other, radix: 16))")
        }
    }

    mutating func array<T>(_ read: (inout ByteReader) throws -> T) throws -> [T] {
        let count = try count()
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try read(&self)) }
        return values
    }

    mutating func map<T>(_ read: (inout ByteReader) throws -> T) throws -> [String: T] {
        let count = try count()
        var values: [String: T] = Dictionary(minimumCapacity: count)
        for _ in 0..<count {
            let key = try string()
            values[key] = try read(&self)
        }
        return values
    }

    /// The error for an enum tag byte just read that names no case (reported at the tag's offset).
    mutating func badTag(_ tag: UInt8, of type: String) -> JourneyStoreError {
        offset -= 1
        return corrupt("unknown \(type) tag 0x\(String(tag, radix: 16))")
    }

    /// Throws unless every byte was read.
    func finish() throws {
        if remaining != 0 { throw corrupt("\(remaining) unexpected trailing bytes") }
    }

    /// Decodes a stored record by its first byte: ``StoreRecordFormat/binaryV1`` is read with
    /// `binary` (which must consume every byte), `{` or JSON whitespace with `JSONDecoder` (what
    /// stores wrote before the binary format).
    ///
    /// - Parameter formats: the binary format bytes this record type has (``StoreRecordFormat``);
    ///   `binary` reads ``format`` to tell them apart.
    static func decode<T: Decodable>(
        _ bytes: some ContiguousBytes, subject: String, formats: Set<UInt8> = [StoreRecordFormat.binaryV1],
        binary: (inout ByteReader) throws -> T
    ) throws -> T {
        try bytes.withUnsafeBytes { buffer in
            guard let format = buffer.first else { throw JourneyStoreError.corrupt("\(subject): no bytes") }
            switch format {
            case _ where formats.contains(format):
                var reader = ByteReader(
                    UnsafeRawBufferPointer(rebasing: buffer.dropFirst()), subject: "\(subject) (binary v\(format))", format: format)
                let value = try binary(&reader)
                try reader.finish()
                return value
            case UInt8(ascii: "{"), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                do {
                    return try JSONDecoder().decode(T.self, from: Data(buffer))
                } catch {
                    throw JourneyStoreError.corrupt("\(subject) (JSON): \(error)")
                }
            default:
                let binary = formats.sorted().map { "0x0\(String($0, radix: 16))" }.joined(separator: " or ")
                throw JourneyStoreError.corrupt(
                    "\(subject): unknown format byte 0x\(String(format, radix: 16)) (expected \(binary) for binary or '{' for JSON)")
            }
        }
    }
}

/// The leading byte of every record the stores write in binary.
enum StoreRecordFormat {
    static let binaryV1: UInt8 = 0x01
    /// ``CustomerState`` only: the v1 fields, then its ``CustomerEngagement`` and its optional
    /// ``EngagementHistogram``.
    static let binaryV2: UInt8 = 0x02
}
