namespace FastSpinnRelay.Relay.Spalloc.Server;

/// <summary>
/// The server's job state file (<see cref="SpallocServerOptions.StateFilePath"/>) cannot be read, is not a state file,
/// or cannot be written at start. The message is one line naming the file and the problem; the file is left as it was.
/// </summary>
public sealed class SpallocStateFileException(string message, Exception? inner = null) : Exception(message, inner);
