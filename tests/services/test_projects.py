"""The project a command acts on, through `services.projects`."""

import pytest

from tests.services.conftest import Projects, Recorder
from tocsin.services.projects import UnknownProjectError, project_id_of
from tocsin.store.projects import project_names


async def test_with_no_name_the_first_project_is_made_on_first_use(context: Recorder) -> None:
    made = await project_id_of(context)
    assert await project_id_of(context) == made
    async with context.database.read() as connection:
        assert await connection.run_sync(project_names) == ["Default"]


async def test_a_project_is_found_by_name_or_number_and_an_unknown_one_is_refused(
    context: Recorder, projects: Projects
) -> None:
    assert await project_id_of(context, "Other") == projects.theirs
    assert await project_id_of(context, str(projects.theirs)) == projects.theirs
    with pytest.raises(UnknownProjectError) as refused:
        await project_id_of(context, "Nowhere")
    assert refused.value.known == ["Default", "Other"]
