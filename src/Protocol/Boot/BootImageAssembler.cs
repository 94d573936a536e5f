using System.Numerics;
using FastSpinnRelay.Protocol.Boot.Internal;

namespace FastSpinnRelay.Protocol.Boot;

/// <summary>
/// The board side of the boot protocol: consumes START, BLOCK…, END packets in any order a UDP path may deliver
/// the blocks, undoes the word reversal, and exposes the assembled image after a complete END. Owns one 32 KiB
/// buffer allocated at construction; <see cref="Accept"/> never allocates. Not thread-safe.
/// </summary>
/// <remarks>
/// START always begins a new image (hosts resend the whole sequence when a boot fails). BLOCK word counts: op1's
/// <c>(words − 1)</c> field must match the data, except 255, which rig and spinnman send for every block
/// including a short last one. A problem result never changes the state.
/// </remarks>
public sealed class BootImageAssembler
{
    private readonly byte[] _image = new byte[BootImage.MaxLength];
    private uint _received;
    private int _blockCount;
    private int _lastBlockLength;

    /// <summary>Where the assembler is in the sequence.</summary>
    public BootAssemblyState State { get; private set; }

    /// <summary>Blocks START announced (op3 + 1); 0 while <see cref="BootAssemblyState.Idle"/>.</summary>
    public int ExpectedBlockCount => _blockCount;

    /// <summary>Distinct blocks stored since the last START.</summary>
    public int ReceivedBlockCount => BitOperations.PopCount(_received);

    /// <summary>Blocks still missing.</summary>
    public int MissingBlockCount => _blockCount - ReceivedBlockCount;

    /// <summary>Image length in bytes once <see cref="BootAssemblyState.Complete"/>, else 0.</summary>
    public int ImageLength =>
        State == BootAssemblyState.Complete ? ((_blockCount - 1) * BootImage.BlockLength) + _lastBlockLength : 0;

    /// <summary>The assembled image (little-endian words, as the image file) once complete, else empty.</summary>
    public ReadOnlySpan<byte> Image => _image.AsSpan(0, ImageLength);

    /// <summary>True when block <paramref name="index"/> has been stored since the last START.</summary>
    public bool IsBlockReceived(int index) => (uint)index < BootImage.MaxBlocks && (_received & (1u << index)) != 0;

    /// <summary>Applies one well-formed packet (from <see cref="BootPacket.TryRead"/>) and says what happened.</summary>
    public BootAssemblyResult Accept(BootPacket packet) => packet.Opcode switch
    {
        BootOpcode.Start => Start(packet.Operand3),
        BootOpcode.Block => StoreBlock(packet.Operand1, packet.WireData),
        BootOpcode.End => End(),
        _ => BootAssemblyResult.UnknownOpcode,
    };

    /// <summary>Back to <see cref="BootAssemblyState.Idle"/>, forgetting any image; the buffer is reused.</summary>
    public void Reset()
    {
        State = BootAssemblyState.Idle;
        _received = 0;
        _blockCount = 0;
        _lastBlockLength = 0;
    }

    private uint AllBlocksMask => _blockCount == BootImage.MaxBlocks ? uint.MaxValue : (1u << _blockCount) - 1;

    private BootAssemblyResult Start(uint lastBlockIndex)
    {
        if (lastBlockIndex >= BootImage.MaxBlocks)
        {
            return BootAssemblyResult.BlockCountOutOfRange;
        }

        bool discarded = _received != 0 || State == BootAssemblyState.Complete;
        Reset();
        State = BootAssemblyState.Receiving;
        _blockCount = (int)lastBlockIndex + 1;
        return discarded ? BootAssemblyResult.Restarted : BootAssemblyResult.Started;
    }

    private BootAssemblyResult StoreBlock(uint operand1, ReadOnlySpan<byte> wireData)
    {
        if (State != BootAssemblyState.Receiving)
        {
            return BootAssemblyResult.BlockWithoutStart;
        }

        int index = (int)(operand1 & 0xFF);
        if (index >= _blockCount)
        {
            return BootAssemblyResult.BlockIndexOutOfRange;
        }

        uint wordsField = operand1 >> 8;
        int words = wireData.Length / sizeof(uint);
        if (words == 0 || (wordsField + 1 != (uint)words && wordsField != (BootImage.BlockLength / sizeof(uint)) - 1))
        {
            return BootAssemblyResult.WrongWordCount;
        }

        bool isLast = index == _blockCount - 1;
        if (!isLast && wireData.Length != BootImage.BlockLength)
        {
            return BootAssemblyResult.ShortBlockNotLast;
        }

        Span<byte> slot = _image.AsSpan(index * BootImage.BlockLength, wireData.Length);
        uint bit = 1u << index;
        if ((_received & bit) != 0)
        {
            int heldLength = isLast ? _lastBlockLength : BootImage.BlockLength;
            return heldLength == wireData.Length && BootWords.EqualReversed(wireData, slot)
                ? BootAssemblyResult.DuplicateBlockIgnored
                : BootAssemblyResult.DuplicateBlockDiffers;
        }

        BootWords.CopyReversed(wireData, slot);
        _received |= bit;
        if (isLast)
        {
            _lastBlockLength = wireData.Length;
        }

        return BootAssemblyResult.BlockStored;
    }

    private BootAssemblyResult End()
    {
        if (State != BootAssemblyState.Receiving)
        {
            return BootAssemblyResult.EndWithoutStart;
        }

        if (_received != AllBlocksMask)
        {
            return BootAssemblyResult.MissingBlocks;
        }

        State = BootAssemblyState.Complete;
        return BootAssemblyResult.Completed;
    }
}
