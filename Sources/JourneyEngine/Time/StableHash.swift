/// 64-bit FNV-1a over UTF-8 bytes: stable across processes, platforms and Swift versions (unlike
/// `hashValue`, which is seeded per process). Used for experiment assignment.
public enum StableHash {
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// A point in [0, 100) for `customer|journey|split` (prefixed by `salt` when not empty).
    public static func splitPoint(customer: String, journey: String, split: String, salt: String = "") -> Double {
        let key = salt.isEmpty ? "\(customer)|\(journey)|\(split)" : "\(salt)|\(customer)|\(journey)|\(split)"
        // FNV-1a's low bits cluster for keys that differ only near the end; a final avalanche step
        // (MurmurHash3's fmix64) spreads them before the modulo.
        var h = fnv1a64(key)
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return Double(h % 1_000_000) / 10_000
    }
}
