using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Boot;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Host;

/// <summary>
/// Boots a board (or the emulator, or a relay's boot port) the way rig does (docs/protocols.md §5): START, the
/// image in 1 KiB BLOCK packets, END, with <see cref="Gap"/> after every packet but the last. The boot protocol has
/// no acknowledgements: success shows only when VER later reports the board booted. The image is sent as given
/// (rig also patches 128 bytes of system variables at offset 384 first; this sender does not).
/// </summary>
public sealed class BootSender : IDisposable
{
    /// <summary>Length of rig's <c>scamp.boot</c>: 27,168 bytes, 27 blocks (26 × 1024 + 544).</summary>
    public const int RigImageLength = 27_168;

    /// <summary>rig's pause after each packet, so an unbooted board is not flooded.</summary>
    public static readonly TimeSpan RigGap = TimeSpan.FromMilliseconds(50);

    private readonly Socket socket;
    private readonly SocketAddress targetAddress;
    private readonly byte[] packet = new byte[BootPacket.MaxLength];

    /// <summary>Opens a sender socket.</summary>
    /// <param name="target">The board's boot endpoint (port 54321 on a real board).</param>
    /// <param name="localEndPoint">Where to bind; default port 0 on 127.0.0.1 for a loopback target, else on any address.</param>
    public BootSender(IPEndPoint target, IPEndPoint? localEndPoint = null)
    {
        Target = target;
        targetAddress = target.Serialize();
        socket = UdpSockets.BindClient(target, localEndPoint);
    }

    /// <summary>Where the packets go.</summary>
    public IPEndPoint Target { get; }

    /// <summary>Pause after each packet except the last (default 50 ms, as rig; zero sends back to back).</summary>
    public TimeSpan Gap { get; init; } = RigGap;

    /// <summary>Packets sent by this sender so far.</summary>
    public int PacketsSent { get; private set; }

    /// <summary>
    /// Sends the whole sequence for <paramref name="image"/> (4..32768 bytes in whole words) and returns the number
    /// of packets (blocks + 2).
    /// </summary>
    /// <exception cref="ArgumentException">The image length is not valid for a boot.</exception>
    /// <exception cref="SocketException">The operating system refused a send.</exception>
    public async Task<int> SendAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default)
    {
        if (!BootImage.IsValidLength(image.Length))
        {
            throw new ArgumentException($"a boot image must be 4..{BootImage.MaxLength} bytes in whole 32-bit words, not {image.Length}", nameof(image));
        }

        var splitter = new BootImageSplitter(image);
        var total = splitter.PacketCount;
        for (var i = 0; i < total; i++)
        {
            splitter.TryWriteNext(packet, out var length);
            socket.SendTo(packet.AsSpan(0, length), SocketFlags.None, targetAddress);
            PacketsSent++;
            if (i < total - 1 && Gap > TimeSpan.Zero)
            {
                await Task.Delay(Gap, cancellationToken).ConfigureAwait(false);
            }
        }

        return total;
    }

    /// <summary>
    /// A deterministic stand-in for a boot image: <paramref name="length"/> bytes (default rig's 27,168, i.e. 27
    /// blocks) of pseudo-random words from <paramref name="seed"/>. The same seed always gives the same bytes, on
    /// every platform and runtime (a fixed xorshift generator, not <see cref="Random"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The length is not valid for a boot image.</exception>
    public static byte[] CreateSyntheticImage(int seed, int length = RigImageLength)
    {
        if (!BootImage.IsValidLength(length))
        {
            throw new ArgumentException($"a boot image must be 4..{BootImage.MaxLength} bytes in whole 32-bit words, not {length}", nameof(length));
        }

        var image = new byte[length];
        var state = (uint)seed ^ 0x9E37_79B9u;
        for (var offset = 0; offset < length; offset += sizeof(uint))
        {
            // xorshift32: never reaches 0 from a non-zero state.
            state = state == 0 ? 0x2545_F491u : state;
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(offset), state);
        }

        return image;
    }

    public void Dispose() => socket.Dispose();
}
