"""The training-curves figure: each legend stands beside its panel, never over a curve."""

from bayescnn.reports.plots import training_curves_figure

ROWS = [
    {
        "epoch": epoch,
        "train_loss": 2.0 / epoch,
        "train_nll": 1.5 / epoch,
        "train_kl": 100.0 / epoch,
        "train_acc": 0.5 + 0.1 * epoch,
        "valid_nll": 1.6 / epoch,
        "valid_accuracy": 0.45 + 0.1 * epoch,
        "lr": 0.001,
    }
    for epoch in range(1, 6)
]


def test_no_legend_overlaps_any_panel_and_each_lies_inside_the_figure():
    figure = training_curves_figure(ROWS)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    panels = [axis for axis in figure.axes if axis.get_visible()]
    assert len(panels) == 4
    for axis in panels:
        legend = axis.get_legend().get_window_extent(renderer)
        for other in panels:
            assert not legend.overlaps(other.get_window_extent(renderer))
        assert figure.bbox.x0 <= legend.x0 and legend.x1 <= figure.bbox.x1
        assert figure.bbox.y0 <= legend.y0 and legend.y1 <= figure.bbox.y1
