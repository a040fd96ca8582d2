"""A publish target on the Hugging Face Hub (:class:`HubTarget`), through an ``HfApi``-like object."""

from __future__ import annotations

from typing import Any

from .plan import PlannedFile, PublishPlan
from .remote import RemoteFile


class HubTarget:
    """A repo on the Hugging Face Hub, through an ``HfApi``-like object (injectable for tests)."""

    def __init__(self, plan: PublishPlan, api: Any):
        self.plan = plan
        self.api = api
        self.repo_id = plan.repo_id
        self.repo_type = plan.repo_type

    def __enter__(self) -> HubTarget:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def ensure_repo(self) -> bool:
        if self.api.repo_exists(self.repo_id, repo_type=self.repo_type):
            return False
        kwargs: dict[str, Any] = {"repo_type": self.repo_type, "exist_ok": True, "private": self.plan.private}
        if self.plan.space_sdk:
            kwargs["space_sdk"] = self.plan.space_sdk
        self.api.create_repo(self.repo_id, **kwargs)
        return True

    def refs(self) -> tuple[dict[str, str], dict[str, str]]:
        refs = self.api.list_repo_refs(self.repo_id, repo_type=self.repo_type)
        return ({b.name: b.target_commit for b in refs.branches}, {t.name: t.target_commit for t in refs.tags})

    def files(self, revision: str) -> dict[str, RemoteFile]:
        out = {}
        for entry in self.api.list_repo_tree(self.repo_id, recursive=True, revision=revision, repo_type=self.repo_type):
            if hasattr(entry, "blob_id"):  # RepoFile; RepoFolder entries have no blob
                lfs = getattr(entry, "lfs", None)
                out[entry.path] = RemoteFile(path=entry.path, size=entry.size, git_blob=entry.blob_id,
                                             sha256=lfs.sha256 if lfs is not None else None)
        return out

    def commit(self, plan: PublishPlan, adds: list[PlannedFile], deletes: list[str], parent: str | None) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        ops: list[Any] = [CommitOperationAdd(path_in_repo=f.path,
                                                path_or_fileobj=str(f.source) if f.content is None else f.content) for f in adds]
        ops += [CommitOperationDelete(path_in_repo=p) for p in deletes]
        info = self.api.create_commit(self.repo_id, ops, commit_message=plan.commit_title,
                                      commit_description=plan.commit_description, repo_type=self.repo_type,
                                      revision=plan.branch, parent_commit=parent)
        return info.oid

    def tag(self, tag: str, message: str | None, commit: str, *, replace: bool) -> None:
        if replace:
            self.api.delete_tag(self.repo_id, tag=tag, repo_type=self.repo_type)
        self.api.create_tag(self.repo_id, tag=tag, tag_message=message, revision=commit, repo_type=self.repo_type)


__all__ = ["HubTarget"]
