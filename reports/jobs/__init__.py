"""The job lifecycle: submit (store and publish), run (claim, build, store), sweep."""
