namespace FastSpinnRelay.Protocol.Boot;

/// <summary>
/// What <see cref="BootImageAssembler.Accept"/> did with one packet. Values below
/// <see cref="UnknownOpcode"/> mean the packet was taken; the others are problems, and a problem never changes
/// the assembler's state. The text of each member goes to logs and counters.
/// </summary>
public enum BootAssemblyResult : byte
{
    /// <summary>START: block count set, nothing was in progress.</summary>
    Started = 1,

    /// <summary>START while blocks were held or an image was complete: that progress was discarded (a host retrying the boot).</summary>
    Restarted,

    /// <summary>BLOCK stored.</summary>
    BlockStored,

    /// <summary>BLOCK already held with identical content: harmless (a duplicated datagram), nothing changed.</summary>
    DuplicateBlockIgnored,

    /// <summary>END with every block present: the image is complete.</summary>
    Completed,

    /// <summary>The opcode is not START, BLOCK or END (e.g. HELLO); ignored.</summary>
    UnknownOpcode = 16,

    /// <summary>START announces more than 32 blocks (op3 ≥ 32): the image cannot fit 32 KiB; ignored.</summary>
    BlockCountOutOfRange,

    /// <summary>BLOCK while no boot is in progress (before any START, or after END completed one); ignored.</summary>
    BlockWithoutStart,

    /// <summary>BLOCK index (op1 bits 7..0) is not below the block count START announced; ignored.</summary>
    BlockIndexOutOfRange,

    /// <summary>BLOCK has no data, or op1's word count is neither its data's nor the 256 hosts always send; ignored.</summary>
    WrongWordCount,

    /// <summary>A BLOCK other than the last holds less than 1024 bytes, which would leave a hole; ignored.</summary>
    ShortBlockNotLast,

    /// <summary>BLOCK already held with different content: the first copy is kept, this one ignored.</summary>
    DuplicateBlockDiffers,

    /// <summary>END while no boot is in progress (before any START, or a repeated END); ignored.</summary>
    EndWithoutStart,

    /// <summary>END before every block arrived: still receiving, so late blocks and another END can complete it.</summary>
    MissingBlocks,
}
