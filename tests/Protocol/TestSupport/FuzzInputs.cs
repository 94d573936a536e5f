namespace FastSpinnRelay.Protocol.Tests.TestSupport;

/// <summary>Called once per fuzz input; the span is only valid during the call.</summary>
internal delegate void FuzzCheck(ReadOnlySpan<byte> input);

/// <summary>
/// Deterministic, bounded fuzz inputs for the wire readers (and, decoded as UTF-8, for text parsers): exactly
/// <see cref="Count"/> inputs (or a count given) from a fixed seed, a quarter each of random bytes of random length,
/// bit flips of valid packets, truncated or extended valid packets, and valid packets with random leading bytes
/// (where the header and length fields live).
/// </summary>
internal static class FuzzInputs
{
    /// <summary>Inputs per run: the brief asks for at least 100,000 per reader.</summary>
    public const int Count = 100_000;

    /// <summary>Longest purely random input when a test does not name one: above the largest datagram read (1042).</summary>
    public const int DefaultMaxRandomLength = 1100;

    public static void Run(int seed, IReadOnlyList<byte[]> validPackets, FuzzCheck check) =>
        Run(seed, validPackets, DefaultMaxRandomLength, check);

    public static void Run(int seed, IReadOnlyList<byte[]> validPackets, int maxRandomLength, FuzzCheck check) =>
        Run(seed, validPackets, maxRandomLength, Count, check);

    /// <summary>
    /// As the other overloads with exactly <paramref name="count"/> inputs: for parsers too costly per call for
    /// <see cref="Count"/> in a test's time (a command line, a JSON document, a handshake over a pipe).
    /// </summary>
    public static void Run(int seed, IReadOnlyList<byte[]> validPackets, int maxRandomLength, int count, FuzzCheck check)
    {
        var rng = new Random(seed);
        int longest = validPackets.Count == 0 ? 0 : validPackets.Max(p => p.Length);
        var buffer = new byte[Math.Max(maxRandomLength, longest + MaxExtension)];
        for (int i = 0; i < count; i++)
        {
            int length = Next(rng, validPackets, maxRandomLength, buffer);
            check(buffer.AsSpan(0, length));
        }
    }

    private const int MaxExtension = 16;

    private static int Next(Random rng, IReadOnlyList<byte[]> validPackets, int maxRandomLength, byte[] buffer)
    {
        int kind = validPackets.Count == 0 ? 0 : rng.Next(4);
        if (kind == 0)
        {
            int randomLength = rng.Next(maxRandomLength + 1);
            rng.NextBytes(buffer.AsSpan(0, randomLength));
            return randomLength;
        }

        byte[] valid = validPackets[rng.Next(validPackets.Count)];
        valid.CopyTo(buffer, 0);
        int length = valid.Length;
        switch (kind)
        {
            case 1:
                for (int flips = 1 + rng.Next(3); flips > 0 && length > 0; flips--)
                {
                    buffer[rng.Next(length)] ^= (byte)(1 << rng.Next(8));
                }

                return length;
            case 2:
                if (rng.Next(2) == 0)
                {
                    return rng.Next(length + 1);
                }

                int extra = rng.Next(1, MaxExtension + 1);
                rng.NextBytes(buffer.AsSpan(length, extra));
                return length + extra;
            default:
                rng.NextBytes(buffer.AsSpan(0, Math.Min(length, 1 + rng.Next(8))));
                return length;
        }
    }
}
