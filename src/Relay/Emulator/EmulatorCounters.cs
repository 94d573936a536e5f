using System.Globalization;
using System.Text;
using FastSpinnRelay.Protocol.Boot;
using FastSpinnRelay.Protocol.Sdp;

namespace FastSpinnRelay.Relay.Emulator;

/// <summary>
/// What the emulated board has seen and done. Written by its worker threads with <see cref="Interlocked"/>,
/// readable from any thread at any time (each number is exact; a set of numbers read one after another is not
/// one instant's snapshot).
/// </summary>
public sealed class EmulatorCounters
{
    private const int ResultBase = (int)ScpResult.Ok;

    private readonly long[] drops = new long[(int)ScpDropReason.SendFailed + 1];
    private readonly long[] malformed = new long[(int)ScpError.IpTagEntryTooShort + 1];
    private readonly long[] results = new long[16];
    private readonly long[] bootResults = new long[(int)BootAssemblyResult.MissingBlocks + 1];
    private readonly long[] bootMalformed = new long[(int)BootError.DataNotWordMultiple + 1];
    private readonly long[] reverseInput = new long[IpTagTable.FixedCount];
    private long scpDatagrams;
    private long scpReplies;
    private long bootPackets;
    private long spikePackets;
    private long spikeSendFailures;
    private long routerTablesCleared;

    /// <summary>RTR requests that cleared the (emulated) multicast router table (operation 0).</summary>
    public long RouterTablesCleared => Interlocked.Read(ref routerTablesCleared);

    /// <summary>Datagrams received on the SCP port (including malformed and dropped ones).</summary>
    public long ScpDatagrams => Interlocked.Read(ref scpDatagrams);

    /// <summary>SCP replies sent.</summary>
    public long ScpReplies => Interlocked.Read(ref scpReplies);

    /// <summary>Datagrams on the boot port.</summary>
    public long BootPackets => Interlocked.Read(ref bootPackets);

    /// <summary>Boot images completed (END with every block).</summary>
    public long BootsCompleted => BootResults(BootAssemblyResult.Completed);

    /// <summary>Boot packets the assembler refused (any result that is not <see cref="BootAssemblyResultExtensions.IsAccepted"/>).</summary>
    public long BootProblems
    {
        get
        {
            long n = 0;
            for (var i = (int)BootAssemblyResult.UnknownOpcode; i < bootResults.Length; i++)
            {
                n += Interlocked.Read(ref bootResults[i]);
            }

            return n;
        }
    }

    /// <summary>EIEIO packets the spike source sent.</summary>
    public long SpikePackets => Interlocked.Read(ref spikePackets);

    /// <summary>Spike packets the operating system refused to send (they still used up a sequence number).</summary>
    public long SpikeSendFailures => Interlocked.Read(ref spikeSendFailures);

    /// <summary>SCP requests dropped silently, all reasons.</summary>
    public long DroppedTotal
    {
        get
        {
            long n = 0;
            for (var i = 0; i < drops.Length; i++)
            {
                n += Interlocked.Read(ref drops[i]);
            }

            return n;
        }
    }

    /// <summary>SCP requests dropped silently for <paramref name="reason"/>.</summary>
    public long Dropped(ScpDropReason reason) => Read(drops, (int)reason);

    /// <summary>SCP datagrams too short to carry cmd and seq (<see cref="ScpError.TooShort"/>); nothing can be answered.</summary>
    public long Malformed(ScpError reason) => Read(malformed, (int)reason);

    /// <summary>SCP requests the board executed with return code <paramref name="result"/> (whether or not a reply was wanted).</summary>
    public long Results(ScpResult result) => Read(results, (int)result - ResultBase);

    /// <summary>Boot packets the assembler answered with <paramref name="result"/>.</summary>
    public long BootResults(BootAssemblyResult result) => Read(bootResults, (int)result);

    /// <summary>Boot datagrams that were not boot packets, by reason.</summary>
    public long BootMalformed(BootError reason) => Read(bootMalformed, (int)reason);

    /// <summary>Datagrams received on the port of reverse tag <paramref name="tag"/> (0–7).</summary>
    public long ReverseInput(int tag) => Read(reverseInput, tag);

    /// <summary>A one-line summary for logs, e.g. at exit of <c>relay emulate</c>.</summary>
    public override string ToString()
    {
        var s = new StringBuilder(200);
        var c = CultureInfo.InvariantCulture;
        s.Append(c, $"scp: {ScpDatagrams} datagrams, {ScpReplies} replies");
        AppendNonZero(s, "; dropped", drops, i => ((ScpDropReason)i).ToString());
        AppendNonZero(s, "; malformed", malformed, i => ((ScpError)i).ToString());
        AppendNonZero(s, "; errors", results, i => i == 0 ? null : ((ScpResult)(i + ResultBase)).ToString());
        s.Append(c, $" | boot: {BootPackets} packets, {BootsCompleted} completed");
        AppendNonZero(s, "; refused", bootResults, i => i < (int)BootAssemblyResult.UnknownOpcode ? null : ((BootAssemblyResult)i).ToString());
        AppendNonZero(s, "; malformed", bootMalformed, i => ((BootError)i).ToString());
        s.Append(c, $" | spikes: {SpikePackets} sent");
        if (SpikeSendFailures != 0)
        {
            s.Append(c, $", {SpikeSendFailures} send failures");
        }

        AppendNonZero(s, " | reverse input", reverseInput, i => "tag " + i.ToString(c));
        return s.ToString();
    }

    internal void CountScpDatagram() => Interlocked.Increment(ref scpDatagrams);

    internal void CountReply() => Interlocked.Increment(ref scpReplies);

    internal void CountDrop(ScpDropReason reason) => Interlocked.Increment(ref drops[(int)reason]);

    internal void CountMalformed(ScpError reason) => Interlocked.Increment(ref malformed[(int)reason]);

    internal void CountResult(ScpResult result) => Increment(results, (int)result - ResultBase);

    internal void CountBootPacket() => Interlocked.Increment(ref bootPackets);

    internal void CountBootResult(BootAssemblyResult result) => Increment(bootResults, (int)result);

    internal void CountBootMalformed(BootError reason) => Interlocked.Increment(ref bootMalformed[(int)reason]);

    internal void CountRouterTableCleared() => Interlocked.Increment(ref routerTablesCleared);

    internal void CountSpikePacket() => Interlocked.Increment(ref spikePackets);

    internal void CountSpikeSendFailure() => Interlocked.Increment(ref spikeSendFailures);

    internal void CountReverseInput(int tag) => Increment(reverseInput, tag);

    private static long Read(long[] array, int index) =>
        (uint)index < (uint)array.Length ? Interlocked.Read(ref array[index]) : 0;

    private static void Increment(long[] array, int index)
    {
        if ((uint)index < (uint)array.Length)
        {
            Interlocked.Increment(ref array[index]);
        }
    }

    private static void AppendNonZero(StringBuilder s, string label, long[] array, Func<int, string?> name)
    {
        var first = true;
        for (var i = 0; i < array.Length; i++)
        {
            var n = Interlocked.Read(ref array[i]);
            if (n == 0 || name(i) is not { } text)
            {
                continue;
            }

            s.Append(first ? label + ": " : ", ").Append(text).Append(' ').Append(n.ToString(CultureInfo.InvariantCulture));
            first = false;
        }
    }
}
