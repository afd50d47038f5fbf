import Foundation

/// An IPv4 or IPv6 address as bytes, parsed the way resolvers read host names: IPv4 in the
/// `inet_aton` forms too (`2130706433`, `0x7f.1`, `0177.0.0.1`), IPv6 with or without brackets.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6).
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// Parses a URL host; nil when it is a name rather than an address.
    public init?(host: String) {
        var text = host
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text.hasSuffix("."), !text.contains(":") { text.removeLast() }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        if text.contains(":") {
            guard let bytes = Self.parseIPv6(text) else { return nil }
            self.bytes = bytes
        } else {
            guard let bytes = Self.parseIPv4(text) else { return nil }
            self.bytes = bytes
        }
    }

    /// The IPv4 address inside an IPv6 one that carries it (mapped, compatible, NAT64, 6to4).
    public var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let prefix96 = Array(bytes[0..<12])
        if prefix96 == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]  // ::ffff:a.b.c.d mapped
            || prefix96 == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  // ::a.b.c.d compatible
            || prefix96 == [0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]  // 64:ff9b::/96 NAT64
        {
            return IPAddress(bytes: Array(bytes[12..<16]))
        }
        if bytes[0] == 0x20, bytes[1] == 0x02 {  // 2002::/16 6to4
            return IPAddress(bytes: Array(bytes[2..<6]))
        }
        return nil
    }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [UInt16] = []
        for index in stride(from: 0, to: 16, by: 2) {
            groups.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
        }
        // The longest run of zero groups (2 or more) becomes "::".
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if run.start < 0 { run = (index, 0) }
                run.length += 1
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[0..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            guard let value = parseNumber(part) else { return nil }
            values.append(value)
        }
        // All but the last part are single bytes; the last fills the remaining bytes.
        let leading = values.dropLast()
        guard leading.allSatisfy({ $0 <= 255 }) else { return nil }
        let remaining = 4 - leading.count
        let last = values.last!
        guard last < (UInt64(1) << (8 * UInt64(remaining))) else { return nil }
        var bytes = leading.map { UInt8($0) }
        for shift in (0..<remaining).reversed() { bytes.append(UInt8((last >> (8 * UInt64(shift))) & 0xFF)) }
        return bytes
    }

    static func parseNumber(_ part: Substring) -> UInt64? {
        guard !part.isEmpty, part.count <= 12 else { return nil }
        let lower = part.lowercased()
        if lower.hasPrefix("0x") {
            return lower.count == 2 ? 0 : UInt64(lower.dropFirst(2), radix: 16)
        }
        if lower.count > 1, lower.hasPrefix("0") { return UInt64(lower.dropFirst(), radix: 8) }
        return UInt64(lower, radix: 10)
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        var tail: [UInt8] = []
        // A trailing dotted IPv4 (::ffff:127.0.0.1).
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            let v4 = text[text.index(after: lastColon)...]
            let parts = v4.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            for part in parts {
                guard let value = UInt8(part) else { return nil }
                tail.append(value)
            }
            text = text[...lastColon]
            if text.hasSuffix("::") {
                // keep "::"
            } else {
                text = text.dropLast()
            }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        let tailGroups = tail.count / 2
        var all: [UInt16]
        if halves.count == 2 {
            guard let back = groups(halves[1]) else { return nil }
            let missing = 8 - tailGroups - head.count - back.count
            guard missing >= 1 else { return nil }
            all = head + Array(repeating: 0, count: missing) + back
        } else {
            all = head
            guard all.count + tailGroups == 8 else { return nil }
        }
        var bytes: [UInt8] = []
        for group in all { bytes += [UInt8(group >> 8), UInt8(group & 0xFF)] }
        return bytes + tail
    }
}

/// A range of addresses: `10.0.0.0/8`, `fc00::/7`, or one address.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = IPAddress(host: String(first)) else { return nil }
        let maxPrefix = address.bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maxPrefix
        guard let prefix, (0...maxPrefix).contains(prefix) else { return nil }
        self.address = address
        self.prefix = prefix
    }

    public func contains(_ other: IPAddress) -> Bool {
        guard other.bytes.count == address.bytes.count else { return false }
        var bits = prefix
        for index in 0..<address.bytes.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if address.bytes[index] & mask != other.bytes[index] & mask { return false }
            bits -= 8
        }
        return true
    }

    public var description: String { "\(address)/\(prefix)" }

    /// An entry of a list that is not an address or a range.
    public struct BadRange: Error, Sendable, CustomStringConvertible {
        public let item: String
        public var description: String { "'\(item)' is not an address or CIDR range" }
    }

    /// Parses `CIDR,CIDR,...` (an address alone is its own range); the error names the first bad entry.
    public static func list(_ text: String) -> Result<[CIDR], BadRange> {
        var ranges: [CIDR] = []
        for item in text.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let range = CIDR(String(item)) else { return .failure(BadRange(item: String(item))) }
            ranges.append(range)
        }
        return .success(ranges)
    }
}
