/// Lowercase hexadecimal, written byte by byte (`String(format:)` cost a twentieth of an ingest's
/// CPU in hashing API keys).
enum Hex {
    /// The digits, as UTF-8.
    static let digits = Array("0123456789abcdef".utf8)

    /// Appends the two digits of each byte to `output`.
    static func append(_ bytes: some Sequence<UInt8>, to output: inout [UInt8]) {
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0f)])
        }
    }

    static func string(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        append(bytes, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
