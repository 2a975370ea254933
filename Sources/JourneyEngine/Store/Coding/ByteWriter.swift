/// Appends the primitives of Herald's binary store encoding to a byte buffer (see
/// ``CustomerStateCoding`` for the format).
///
/// Integers are LEB128 varints (signed ones zigzag-encoded), doubles 8 little-endian bytes,
/// strings a varint header then UTF-8. A string of ``ByteWriter/internedLength`` bytes or more is
/// remembered, and a repeat is written as a back reference: the header is `length << 1` for a
/// literal and `index << 1 | 1` for a reference (the program version, a 64-character hash, and the
/// journey name appear in several places of one aggregate).
struct ByteWriter {
    /// Literal strings at least this long (in UTF-8 bytes) enter the table of back references.
    static let internedLength = 8

    private(set) var bytes: [UInt8]
    /// The interned strings in the order they were written (a string's index is its reference),
    /// with their UTF-8 lengths: looked up by a linear scan that compares lengths first while there
    /// are few — an aggregate holds a few dozen — which costs less than hashing each string.
    private var internedStrings: [(length: Int, string: String)] = []
    /// The same strings by value, built once there are more than ``linearInterned``.
    private var interned: [String: Int] = [:]
    static let linearInterned = 48

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func unsigned(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// A count or length.
    mutating func count(_ value: Int) { unsigned(UInt64(value)) }

    /// A signed integer, zigzag-encoded (small magnitudes take one byte either side of zero).
    mutating func int(_ value: Int) {
        let wide = Int64(value)
        unsigned(UInt64(bitPattern: (wide << 1) ^ (wide >> 63)))
    }

    mutating func double(_ value: Double) {
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    mutating func string(_ value: String) {
        // Only strings long enough to be interned are looked up: hashing every short key and tag
        // was the largest cost of encoding (7 % of the SQLite processing profile).
        let length = value.utf8.count
        let interns = length >= Self.internedLength
        if interns, let index = internedIndex(of: value, length: length) {
            unsigned(UInt64(index) << 1 | 1)
            return
        }
        var value = value
        value.withUTF8 { utf8 in
            unsigned(UInt64(utf8.count) << 1)
            bytes.append(contentsOf: utf8)
        }
        if interns {
            if internedStrings.count >= Self.linearInterned {
                if interned.isEmpty {
                    for (index, entry) in internedStrings.enumerated() where interned[entry.string] == nil { interned[entry.string] = index }
                }
                if interned[value] == nil { interned[value] = internedStrings.count }
            }
            internedStrings.append((length, value))
        }
    }

    /// The back-reference index of `value` (of `length` UTF-8 bytes) if it was interned before.
    private func internedIndex(of value: String, length: Int) -> Int? {
        if internedStrings.count > Self.linearInterned { return interned[value] }
        for index in internedStrings.indices where internedStrings[index].length == length && internedStrings[index].string == value {
            return index
        }
        return nil
    }

    /// `0` for `nil`, else `1` and the value.
    mutating func optional<T>(_ value: T?, _ write: (inout ByteWriter, T) -> Void) {
        guard let value else { return bytes.append(0) }
        bytes.append(1)
        write(&self, value)
    }

    mutating func array<T>(_ values: [T], _ write: (inout ByteWriter, T) -> Void) {
        count(values.count)
        for value in values { write(&self, value) }
    }

    /// A dictionary keyed by strings, in the dictionary's own order (decoding does not depend on it).
    mutating func map<T>(_ values: [String: T], _ write: (inout ByteWriter, T) -> Void) {
        count(values.count)
        for (key, value) in values {
            string(key)
            write(&self, value)
        }
    }
}
