using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Emulator.Internal;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Emulator;

/// <summary>
/// A software SpiNNaker board, as host tools see it over the network (docs/protocols.md §9): SCP on one UDP port
/// (VER, READ/WRITE over sparse memory, IPTAG with the 8-entry transient pool), boot image reassembly on another,
/// and live EIEIO output through an IP tag. Fault injection (dropped requests, delayed replies) comes from
/// <see cref="EmulatorOptions"/>. Started in-process by tests, the bench and <c>relay demo</c>, and by
/// <c>relay emulate</c>.
/// </summary>
/// <remarks>
/// The constructor binds both ports and starts one background thread per socket; <see cref="Dispose"/> stops them
/// all within a bounded time. Live output starts only on <see cref="StartSpikes"/>. Counters and state can be read
/// from any thread.
/// </remarks>
public sealed partial class BoardEmulator : IDisposable
{
    /// <summary>Receive buffer for the SCP port: bigger than any accepted request, so oversized ones are seen as such.</summary>
    private const int ScpBufferSize = 2048;

    /// <summary>Receive buffer for the boot port: bigger than the 1042-byte maximum packet.</summary>
    private const int BootBufferSize = 2048;

    private readonly DatagramPump scpPump;
    private readonly DatagramPump bootPump;
    private readonly BootReceiver boot;
    private readonly ReverseTagPorts reversePorts;
    private readonly SpikeSource spikes;
    private int disposed;

    /// <summary>Validates the options, binds the SCP and boot ports and starts serving.</summary>
    /// <param name="options">Board settings; port 0 picks a free port (read <see cref="ScpEndPoint"/>/<see cref="BootEndPoint"/>).</param>
    /// <param name="eventLogLevel">Level of the event lines (boot completed, tag set/cleared); Debug by default so tests stay quiet, Info for <c>relay emulate</c>.</param>
    /// <exception cref="ArgumentException">The options have problems (all are listed in the message).</exception>
    /// <exception cref="EmulatorBindException">A port could not be bound.</exception>
    public BoardEmulator(EmulatorOptions options, LogLevel eventLogLevel = LogLevel.Debug)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid emulator options: " + string.Join("; ", problems), nameof(options));
        }

        Options = options;
        var scpSocket = BindOrThrow("SCP", new IPEndPoint(options.Address, options.ScpPort));
        Socket bootSocket;
        try
        {
            bootSocket = BindOrThrow("boot", new IPEndPoint(options.Address, options.BootPort));
        }
        catch
        {
            scpSocket.Dispose();
            throw;
        }

        boot = new BootReceiver(options.BootSettleTime, Counters, eventLogLevel);
        reversePorts = new ReverseTagPorts(options.Address, Counters);
        scpPump = new DatagramPump(scpSocket, ScpBufferSize, OnScpDatagram, "emulator scp");
        bootPump = new DatagramPump(bootSocket, BootBufferSize, boot.OnDatagram, "emulator boot");
        ScpEndPoint = scpPump.LocalEndPoint;
        BootEndPoint = bootPump.LocalEndPoint;
        commands = new ScpCommandHandler(
            memory, Tags, boot, reversePorts, Counters, options.ScampVersion,
            [ScpEndPoint.Port, BootEndPoint.Port], eventLogLevel);
        if (options.ReplyDelay > TimeSpan.Zero)
        {
            delayedReplies = new DelayedReplyQueue(scpSocket, Tags, Counters, options.ReplyDelay);
        }

        spikes = new SpikeSource(scpSocket, Tags, options, Counters);
        scpPump.Start();
        bootPump.Start();
    }

    /// <summary>The settings this board runs with.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>Where the SCP socket is bound (the real port when <see cref="EmulatorOptions.ScpPort"/> is 0). Replies and live output leave from here.</summary>
    public IPEndPoint ScpEndPoint { get; }

    /// <summary>Where the boot socket is bound.</summary>
    public IPEndPoint BootEndPoint { get; }

    /// <summary>What the board has seen and done; readable from any thread.</summary>
    public EmulatorCounters Counters { get; } = new();

    /// <summary>The board's IP tag table (for inspection; IPTAG requests change it).</summary>
    public IpTagTable Tags { get; } = new();

    /// <summary>True once a boot image completed and <see cref="EmulatorOptions.BootSettleTime"/> has passed; VER then reports chip (0, 0).</summary>
    public bool IsBooted => boot.IsBooted;

    /// <summary>SHA-256 (lower-case hex) of the last completely assembled boot image, or null.</summary>
    public string? BootImageSha256 => boot.ImageSha256;

    /// <summary>True while the spike source is sending.</summary>
    public bool IsSpiking => spikes.IsRunning;

    /// <summary>EIEIO packets sent so far (same as <see cref="EmulatorCounters.SpikePackets"/>).</summary>
    public long SpikesSent => Counters.SpikePackets;

    /// <summary>True when the options give live output somewhere to go: a spike tag or a fixed destination.</summary>
    public bool HasLiveOutput => Options.SpikeTag >= 0 || Options.SpikeDestination is not null;

    /// <summary>A copy of the last completely assembled boot image (image byte order); empty before the first.</summary>
    public byte[] CopyBootImage() => boot.CopyImage();

    /// <summary>
    /// Starts live output (no-op while running). Packets go to the spike tag's destination once the host sets the
    /// tag, or to <see cref="EmulatorOptions.SpikeDestination"/> until then; with neither, the source waits
    /// without using sequence numbers. Each start sends up to <see cref="EmulatorOptions.SpikeLimit"/> packets;
    /// sequence numbers continue across starts.
    /// </summary>
    /// <exception cref="InvalidOperationException">Neither a spike tag nor a spike destination is configured.</exception>
    public void StartSpikes()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (!HasLiveOutput)
        {
            throw new InvalidOperationException("live output needs EmulatorOptions.SpikeTag >= 0 or a SpikeDestination");
        }

        spikes.Start();
    }

    /// <summary>Stops live output (waits, bounded, for the source thread).</summary>
    public void StopSpikes() => spikes.Stop();

    /// <summary>Stops every thread and closes every socket; returns within a few seconds at worst.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        // Senders first (they use the SCP socket), then wake every receiver at once, then wait for them.
        spikes.Dispose();
        delayedReplies?.Dispose();
        scpPump.RequestStop();
        bootPump.RequestStop();
        reversePorts.RequestStop();
        scpPump.Dispose();
        bootPump.Dispose();
        reversePorts.Dispose();
    }

    private static Socket BindOrThrow(string purpose, IPEndPoint endPoint)
    {
        try
        {
            return UdpSockets.Bind(endPoint);
        }
        catch (SocketException ex)
        {
            throw new EmulatorBindException(purpose, endPoint, ex);
        }
    }
}
