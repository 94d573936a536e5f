namespace FastSpinnRelay.Protocol.Tests.TestSupport;

/// <summary>
/// Deterministic fuzz input: a fixed seed, a fixed count, and three kinds of input in turn: random length
/// (0..<see cref="MaxLength"/>) of random bytes; a valid sample with 1..8 random bit flips; a valid sample cut or
/// extended to a random length. The buffer is reused, so a reader that keeps a reference past the callback would
/// see it change (the readers must not).
/// </summary>
internal static class FuzzInputs
{
    public const int Count = 100_000;
    public const int MaxLength = 1100;

    public delegate void Consumer(ReadOnlySpan<byte> input);

    public static void Run(int seed, IReadOnlyList<byte[]> validSamples, Consumer consume, int count = Count)
    {
        var random = new Random(seed);
        var buffer = new byte[MaxLength];
        for (int i = 0; i < count; i++)
        {
            int length;
            switch (i % 3)
            {
                case 0:
                    length = random.Next(MaxLength + 1);
                    random.NextBytes(buffer.AsSpan(0, length));
                    break;
                case 1:
                {
                    byte[] sample = validSamples[random.Next(validSamples.Count)];
                    sample.CopyTo(buffer, 0);
                    length = sample.Length;
                    int flips = 1 + random.Next(8);
                    for (int f = 0; f < flips && length > 0; f++)
                    {
                        int bit = random.Next(length * 8);
                        buffer[bit / 8] ^= (byte)(1 << (bit % 8));
                    }

                    break;
                }

                default:
                {
                    byte[] sample = validSamples[random.Next(validSamples.Count)];
                    length = random.Next(Math.Min(MaxLength, sample.Length + 64) + 1);
                    random.NextBytes(buffer.AsSpan(0, length));
                    sample.AsSpan(0, Math.Min(length, sample.Length)).CopyTo(buffer);
                    break;
                }
            }

            consume(buffer.AsSpan(0, length));
        }
    }
}
