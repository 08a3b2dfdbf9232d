"""The microphone and speaker around the turn engine: the sound card boundary (`backend`,
`virtual_card`), capture and playback, the echo guard, spoken replies and barge-in, and the
loop that runs it all (`loop`)."""
