public import JourneyLanguage

/// Encodes any `Encodable` straight into a `Value`: the same value `JSONEncoder` followed by
/// decoding the JSON as `Value` gives (objects for keyed containers, lists for unkeyed ones, numbers
/// as `Double`, `nil` properties left out, a non-finite number refused), without the text in between.
/// The service builds log details from timeline records this way on every processed event; the
/// JSON round trip was 14 % of the server's CPU under `POST /v1/events` in herald-bench.
///
/// ```swift
/// let detail = try ValueEncoder.encode(record.kind)   // .object(["entered": .object([...])])
/// ```
public enum ValueEncoder {
    public struct NotEncodable: Error, CustomStringConvertible {
        public var description: String
    }

    public static func encode(_ value: some Encodable) throws -> Value {
        let encoder = ValueEncoding()
        try value.encode(to: encoder)
        guard let result = encoder.box.value else { throw NotEncodable(description: "\(type(of: value)) encoded nothing") }
        return result.value
    }
}

/// A node of the value being built: containers are filled in place after they are handed out.
private final class Node {
    enum Content {
        case value(Value)
        case object([String: Node])
        case list([Node])
    }
    var content: Content
    init(_ content: Content) { self.content = content }

    var value: Value {
        switch content {
        case .value(let value): value
        case .object(let fields): .object(fields.mapValues(\.value))
        case .list(let items): .list(items.map(\.value))
        }
    }
}

/// Where one encoder writes: empty until a container or a single value is asked for.
private final class Slot {
    var value: Node?
}

private struct ValueEncoding: Encoder {
    let box: Slot
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(box: Slot = Slot(), codingPath: [any CodingKey] = []) {
        self.box = box
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let node: Node
        if let existing = box.value, case .object = existing.content {
            node = existing
        } else {
            node = Node(.object([:]))
            box.value = node
        }
        return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let node: Node
        if let existing = box.value, case .list = existing.content {
            node = existing
        } else {
            node = Node(.list([]))
            box.value = node
        }
        return Unkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        Single(box: box, codingPath: codingPath)
    }
}

/// Encodes one nested value; `nil` means it encoded nothing.
private func encodeNested(_ value: some Encodable, codingPath: [any CodingKey]) throws -> Node {
    if let direct = try primitive(value, codingPath: codingPath) { return Node(.value(direct)) }
    let encoder = ValueEncoding(codingPath: codingPath)
    try value.encode(to: encoder)
    return encoder.box.value ?? Node(.object([:]))
}

/// Values JSONEncoder writes as JSON scalars without calling `encode(to:)` in a way that matters.
private func primitive(_ value: some Encodable, codingPath: [any CodingKey]) throws -> Value? {
    switch value {
    case let string as String: return .string(string)
    case let bool as Bool: return .bool(bool)
    case let double as Double: return try number(double, codingPath)
    case let int as Int: return .number(Double(int))
    default: return nil
    }
}

private func number(_ value: Double, _ codingPath: [any CodingKey]) throws -> Value {
    guard value.isFinite else {
        throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
    }
    return .number(value)
}

private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    var codingPath: [any CodingKey]

    private func set(_ key: Key, _ child: Node) {
        guard case .object(var fields) = node.content else { return }
        node.content = .value(.null)  // release the dictionary before mutating it (no copy)
        fields[key.stringValue] = child
        node.content = .object(fields)
    }

    mutating func encodeNil(forKey key: Key) throws { set(key, Node(.value(.null))) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(key, Node(.value(.bool(value)))) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(key, Node(.value(.string(value)))) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(key, Node(.value(try number(value, codingPath + [key])))) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try encode(Double(value), forKey: key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(key, Node(.value(.number(Double(value))))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(key, Node(.value(.number(Double(value))))) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(key, Node(.value(.number(Double(value))))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(key, Node(.value(.number(Double(value))))) }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        set(key, try encodeNested(value, codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = Node(.object([:]))
        set(key, child)
        return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = Node(.list([]))
        set(key, child)
        return Unkeyed(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let slot = Slot()
        let child = Node(.value(.null))
        slot.value = child
        set(key, child)
        return SlotEncoder(slot: slot, node: child, codingPath: codingPath + [key])
    }
}

private struct Unkeyed: UnkeyedEncodingContainer {
    let node: Node
    var codingPath: [any CodingKey]
    var count: Int {
        guard case .list(let items) = node.content else { return 0 }
        return items.count
    }

    private func append(_ child: Node) {
        guard case .list(var items) = node.content else { return }
        node.content = .value(.null)
        items.append(child)
        node.content = .list(items)
    }

    private var indexKey: any CodingKey { IndexKey(intValue: count) }

    mutating func encodeNil() throws { append(Node(.value(.null))) }
    mutating func encode(_ value: Bool) throws { append(Node(.value(.bool(value)))) }
    mutating func encode(_ value: String) throws { append(Node(.value(.string(value)))) }
    mutating func encode(_ value: Double) throws { append(Node(.value(try number(value, codingPath + [indexKey])))) }
    mutating func encode(_ value: Float) throws { try encode(Double(value)) }
    mutating func encode(_ value: Int) throws { append(Node(.value(.number(Double(value))))) }
    mutating func encode(_ value: Int8) throws { try encode(Int(value)) }
    mutating func encode(_ value: Int16) throws { try encode(Int(value)) }
    mutating func encode(_ value: Int32) throws { try encode(Int(value)) }
    mutating func encode(_ value: Int64) throws { append(Node(.value(.number(Double(value))))) }
    mutating func encode(_ value: UInt) throws { append(Node(.value(.number(Double(value))))) }
    mutating func encode(_ value: UInt8) throws { try encode(Int(value)) }
    mutating func encode(_ value: UInt16) throws { try encode(Int(value)) }
    mutating func encode(_ value: UInt32) throws { try encode(Int(value)) }
    mutating func encode(_ value: UInt64) throws { append(Node(.value(.number(Double(value))))) }
    mutating func encode(_ value: some Encodable) throws {
        append(try encodeNested(value, codingPath: codingPath + [indexKey]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = Node(.object([:]))
        let path = codingPath + [indexKey]
        append(child)
        return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = Node(.list([]))
        let path = codingPath + [indexKey]
        append(child)
        return Unkeyed(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let slot = Slot()
        let child = Node(.value(.null))
        slot.value = child
        let path = codingPath + [indexKey]
        append(child)
        return SlotEncoder(slot: slot, node: child, codingPath: path)
    }
}

private struct Single: SingleValueEncodingContainer {
    let box: Slot
    var codingPath: [any CodingKey]

    private func set(_ value: Value) {
        if let node = box.value { node.content = .value(value) } else { box.value = Node(.value(value)) }
    }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(try number(value, codingPath)) }
    mutating func encode(_ value: Float) throws { try encode(Double(value)) }
    mutating func encode(_ value: Int) throws { set(.number(Double(value))) }
    mutating func encode(_ value: Int8) throws { try encode(Int(value)) }
    mutating func encode(_ value: Int16) throws { try encode(Int(value)) }
    mutating func encode(_ value: Int32) throws { try encode(Int(value)) }
    mutating func encode(_ value: Int64) throws { set(.number(Double(value))) }
    mutating func encode(_ value: UInt) throws { set(.number(Double(value))) }
    mutating func encode(_ value: UInt8) throws { try encode(Int(value)) }
    mutating func encode(_ value: UInt16) throws { try encode(Int(value)) }
    mutating func encode(_ value: UInt32) throws { try encode(Int(value)) }
    mutating func encode(_ value: UInt64) throws { set(.number(Double(value))) }
    mutating func encode(_ value: some Encodable) throws {
        let node = try encodeNested(value, codingPath: codingPath)
        if let existing = box.value { existing.content = node.content } else { box.value = node }
    }
}

/// The encoder handed out by `superEncoder`: writes into a node already placed in its parent.
private struct SlotEncoder: Encoder {
    let slot: Slot
    let node: Node
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([:]) }
        return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .list = node.content {} else { node.content = .list([]) }
        return Unkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(box: slot, codingPath: codingPath) }
}

private struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(intValue: Int) {
        self.intValue = intValue
        stringValue = "Index \(intValue)"
    }
    init?(stringValue: String) { nil }
}
