using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Emulator.Internal;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Emulator;

/// <summary>The board's command execution without sockets: fuzzed, and checked for allocations.</summary>
public class ScpCommandHandlerTests
{
    private static readonly SocketAddress Sender = new IPEndPoint(IPAddress.Loopback, 40000).Serialize();

    private readonly EmulatorCounters counters = new();
    private readonly IpTagTable tags = new();
    private readonly ScpCommandHandler handler;

    public ScpCommandHandlerTests()
    {
        // A small memory cap keeps fuzzed WRITEs to random addresses from using much memory.
        handler = new ScpCommandHandler(
            new SparseMemory { MaxPages = 64 }, tags, new BootReceiver(TimeSpan.Zero, counters, LogLevel.Debug),
            reversePorts: null, counters, "4.0.0", [17893, 54321], LogLevel.Debug);
    }

    [Fact]
    public void Hundred_thousand_seeded_random_requests_never_throw_and_always_get_a_well_formed_reply()
    {
        byte[][] samples =
        [
            Loopback.Request(ScpCommand.Ver, 1),
            Loopback.Request(ScpCommand.Read, 2, 0x6000_0000, 256, 2),
            Loopback.Request(ScpCommand.Write, 3, 0x6000_0000, 256, 2, new byte[256]),
            Loopback.Request(ScpCommand.IpTag, 4, new ScpIpTagArg1(1, ScpIpTagOperation.Set, Strip: true, UseSender: true).Encode()),
            Loopback.Request(ScpCommand.IpTag, 5, new ScpIpTagArg1(1, ScpIpTagOperation.Set, Reverse: true).Encode(), 0x0102_1234),
            Loopback.Request(ScpCommand.IpTag, 6, new ScpIpTagArg1(0, ScpIpTagOperation.Get).Encode(), 8),
            Loopback.Request(ScpCommand.IpTag, 7, new ScpIpTagArg1(3, ScpIpTagOperation.Clear).Encode()),
            Loopback.Request(ScpCommand.IpTag, 8, new ScpIpTagArg1(0, ScpIpTagOperation.TransientTimeout).Encode(), 3),
        ];
        var random = new Random(20_240_601);
        var input = new byte[SdpConstants.MaxDatagramLength];
        var reply = new byte[SdpConstants.MaxDatagramLength];
        for (var i = 0; i < 100_000; i++)
        {
            int length;
            var sample = samples[random.Next(samples.Length)];
            if (i % 2 == 0)
            {
                // A valid request with a few bits flipped (commands, sub-operations, lengths, tags all get hit).
                sample.CopyTo(input, 0);
                length = sample.Length;
                for (var f = 1 + random.Next(4); f > 0; f--)
                {
                    var bit = random.Next(length * 8);
                    input[bit / 8] ^= (byte)(1 << (bit % 8));
                }
            }
            else
            {
                // Random bytes of any length the board accepts, sometimes behind a valid header.
                length = random.Next(ScpMessage.MinLength, SdpConstants.MaxDatagramLength + 1);
                random.NextBytes(input.AsSpan(0, length));
                sample.AsSpan(0, Math.Min(length, random.Next(sample.Length + 1))).CopyTo(input);
            }

            var request = input.AsSpan(0, length);
            var n = handler.Execute(request, Sender, 9, reply);

            Assert.InRange(n, ScpMessage.MinLength, SdpConstants.MaxDatagramLength);
            Assert.Equal(ScpError.None, ScpHeader.TryRead(reply.AsSpan(0, n), out var header));
            Assert.Equal(request[12] | (request[13] << 8), header.Sequence);
            Assert.True(header.Result is >= ScpResult.Ok and <= ScpResult.PktTx);
            Assert.Equal(9, reply[3]);
        }
    }

    [Fact]
    public void Ver_read_and_write_with_their_transient_tag_allocate_nothing()
    {
        var ver = Loopback.Request(ScpCommand.Ver, 1);
        var read = Loopback.Request(ScpCommand.Read, 2, 0x6000_0000, 256, 2);
        var write = Loopback.Request(ScpCommand.Write, 3, 0x6000_0000, 256, 2, new byte[256]);
        var reply = new byte[SdpConstants.MaxDatagramLength];
        RoundTrip(ver, reply);
        RoundTrip(read, reply);
        RoundTrip(write, reply);

        Allocations.AssertNone(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                RoundTrip(ver, reply);
                RoundTrip(read, reply);
                RoundTrip(write, reply);
            }
        });
    }

    private void RoundTrip(byte[] request, byte[] reply)
    {
        var tag = tags.AllocateTransient(Sender, 0);
        handler.Execute(request, Sender, (byte)tag, reply);
        tags.ReleaseTransient(tag, 0);
    }
}
